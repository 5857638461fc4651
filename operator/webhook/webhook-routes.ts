/**
 * The injection webhook's HTTP shell: `POST /inject` takes an AdmissionReview v1 for a pod, gathers the facts
 * (the pool, the cluster's version, the operator's CA) and answers the pure decision's JSONPatch.
 *
 * Pods are always admitted by this webhook: one without the label is answered without a patch; one naming a pool
 * that does not exist gets the sidecar (it waits for the pool) plus an admission warning and a Warning Event.
 * Only a failure to look the pool up answers 500, so the webhook's failurePolicy (in the chart) decides.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { V1ObjectReference, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../core/log.ts';
import { AdmissionReviewSchema, admissionResponse } from './admission-review.ts';
import type { InjectionConfig } from './injection-config.ts';
import { decideInjection, requestedPool, type ServerVersion } from './inject-sidecar.ts';

export interface PoolFacts {
  /** Names of the Secrets the pool's providers reference (apiKey.secretKeyRef). */
  readonly secretNames: readonly string[];
}

export interface WebhookRoutesOptions {
  readonly config: InjectionConfig;
  /** The pool `namespace/name`, or undefined when it does not exist; throws when it cannot be known now. */
  readonly lookupPool: (namespace: string, name: string) => Promise<PoolFacts | undefined>;
  readonly serverVersion: ServerVersion | undefined;
  /** The CA the sidecars trust for the sync channel (PEM), as of now: it may rotate. */
  readonly operatorCaPem: () => string | undefined;
  /** Records a Warning Event about a pod admitted without its pool (best effort). */
  readonly recordWarning?: (namespace: string, about: V1ObjectReference, message: string) => Promise<void>;
  readonly onDecision?: (result: 'injected' | 'skipped' | 'pool-missing' | 'error') => void;
  readonly logger: Logger;
}

const MAX_REVIEW = '3mb';

/** What a Warning Event about a pod being created can point at: its owner (a ReplicaSet, a Job) or itself by name. */
export function eventSubject(pod: V1Pod, namespace: string): V1ObjectReference | undefined {
  const owners = pod.metadata?.ownerReferences ?? [];
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  if (owner !== undefined)
    return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, namespace };
  const name = pod.metadata?.name;
  // A pod created with generateName has no name yet at admission: nothing to point an Event at.
  return name ? { apiVersion: 'v1', kind: 'Pod', name, namespace } : undefined;
}

export function webhookRoutes(options: WebhookRoutesOptions): Router {
  const { config, logger } = options;
  const router = express.Router();
  router.post('/inject', express.json({ limit: MAX_REVIEW, type: () => true }), (req, res) => {
    void inject(req, res);
  });

  async function inject(req: Request, res: Response): Promise<void> {
    const review = AdmissionReviewSchema.safeParse(req.body);
    if (!review.success) {
      res.status(400).json({ error: `not an AdmissionReview v1: ${review.error.issues[0]?.message ?? ''}` });
      return;
    }
    const request = review.data.request;
    const pod = request.object as V1Pod | undefined;
    const namespace = request.namespace ?? pod?.metadata?.namespace ?? '';
    const poolName = pod === undefined ? undefined : requestedPool(pod);
    // Only a pod being created: an existing pod's containers cannot change (a patch would fail the update).
    const creatingPod = request.kind.kind === 'Pod' && request.operation === 'CREATE';
    if (!creatingPod || pod === undefined || poolName === undefined || namespace === '') {
      options.onDecision?.('skipped');
      res.json(admissionResponse(request.uid));
      return;
    }
    let pool: PoolFacts | undefined;
    try {
      pool = await options.lookupPool(namespace, poolName);
    } catch (err) {
      options.onDecision?.('error');
      logger.error('could not look up the pool of a pod to inject', {
        pool: `${namespace}/${poolName}`,
        error: err instanceof Error ? err.message : String(err),
      });
      res.status(500).json({ error: 'could not look up the ProviderPool now' });
      return;
    }
    const decision = decideInjection(
      pod,
      {
        namespace,
        pool: pool === undefined ? { found: false } : { found: true, secretNames: pool.secretNames },
        serverVersion: options.serverVersion,
        operatorCaPem: options.operatorCaPem(),
      },
      config,
    );
    if (!decision.inject) {
      options.onDecision?.('skipped');
      res.json(admissionResponse(request.uid));
      return;
    }
    options.onDecision?.(pool === undefined ? 'pool-missing' : 'injected');
    logger.info('injecting the sidecar', {
      pool: decision.pool,
      pod: pod.metadata?.name ?? pod.metadata?.generateName ?? '',
      operations: decision.patch.length,
    });
    if (pool === undefined && request.dryRun !== true) {
      const subject = eventSubject(pod, namespace);
      // Best effort and not awaited: the API server waits for this answer.
      for (const warning of decision.warnings)
        if (subject !== undefined) void options.recordWarning?.(namespace, subject, warning);
    }
    res.json(admissionResponse(request.uid, { patch: decision.patch, warnings: decision.warnings }));
  }
  return router;
}
