import { Agent, request } from 'undici';
import { KubeApiError } from './api-error.ts';
import type { KubeConfig } from './config.ts';
import { resourcePath, withQuery } from './resource-path.ts';
import type { KubeList, KubeObject, ResourceType, Status, WatchEvent } from './types.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Selectors {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface ListOptions extends Selectors {
  /** Items per page; pages are followed with `continue` until the list is complete. */
  readonly limit?: number;
  /** '0' lets the server answer from its cache; undefined asks for the latest (a quorum read). */
  readonly resourceVersion?: string;
}

export interface WatchOptions extends Selectors {
  /** Start after this version (a list's or the last event's); undefined starts with synthetic ADDEDs. */
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long (a clean end, to be resumed). */
  readonly timeoutSeconds?: number;
  /** Aborting ends the stream quietly. */
  readonly signal?: AbortSignal;
}

export interface ApplyOptions {
  readonly fieldManager: string;
  /** Take over fields other managers own (what a controller writing its own status wants). */
  readonly force?: boolean;
}

/**
 * A small typed client for the API server's REST interface over one keep-alive undici Agent. Every non-2xx
 * answer becomes a KubeApiError carrying the server's Status.
 */
export class KubeClient {
  readonly config: KubeConfig;
  readonly #agent: Agent;

  constructor(config: KubeConfig, options: { connections?: number } = {}) {
    this.config = config;
    this.#agent = new Agent({
      connect: { ca: config.ca, cert: config.cert, key: config.key },
      keepAliveTimeout: 30_000,
      connections: options.connections ?? null,
    });
  }

  get<T extends KubeObject>(type: ResourceType, name: string, namespace?: string): Promise<T> {
    return this.request<T>('GET', resourcePath(type, { namespace, name }));
  }

  /** All pages of a list; the returned resourceVersion is the one to start a watch from. */
  async list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    const path = resourcePath(type, { namespace: options.namespace });
    const items: T[] = [];
    let next: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.request<KubeList<T>>(
        'GET',
        withQuery(path, {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: options.limit,
          // A continue token carries its own version; the server rejects both together.
          resourceVersion: next === undefined ? options.resourceVersion : undefined,
          continue: next,
        }),
      );
      items.push(...(page.items ?? []));
      resourceVersion = page.metadata?.resourceVersion;
      next = page.metadata?.continue || undefined;
    } while (next !== undefined);
    return { metadata: { resourceVersion }, items };
  }

  /**
   * Opens a watch and yields its events (one JSON object per line) until the server ends the stream or
   * `signal` aborts. Rejects with a KubeApiError when the server refuses it (410 when the version is too old).
   */
  async *watch<T extends KubeObject>(
    type: ResourceType,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const path = withQuery(resourcePath(type, { namespace: options.namespace }), {
      watch: true,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
    });
    const signal = options.signal;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(this.config.server + path, {
        method: 'GET',
        dispatcher: this.#agent,
        signal,
        headers: await this.#headers(),
        // A silent watch is legal (no changes, no bookmarks yet); the informer's watchdog decides when to give up.
        bodyTimeout: 0,
      });
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      throw new KubeApiError(`WATCH ${path}`, response.statusCode, parseJson(text));
    }
    let buffered = '';
    try {
      for await (const chunk of response.body) {
        buffered += (chunk as Buffer).toString();
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
        }
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      if (!response.body.destroyed) response.body.destroy();
    }
  }

  create<T extends KubeObject>(
    type: ResourceType,
    object: T,
    namespace = object.metadata?.namespace,
  ): Promise<T> {
    return this.request<T>('POST', resourcePath(type, { namespace }), object);
  }

  /** PUT: fails with 409 when `object.metadata.resourceVersion` is not the stored one (optimistic concurrency). */
  update<T extends KubeObject>(type: ResourceType, object: T): Promise<T> {
    return this.request<T>('PUT', resourcePath(type, whereOf(object)), object);
  }

  /** Server-side apply of a (partial) object: the fields it names become owned by `fieldManager`. */
  apply<T extends KubeObject>(type: ResourceType, object: KubeObject, options: ApplyOptions): Promise<T> {
    return this.#apply<T>(type, object, options, undefined);
  }

  /** Server-side apply to the status subresource (the object's spec is ignored there). */
  applyStatus<T extends KubeObject>(
    type: ResourceType,
    object: KubeObject,
    options: ApplyOptions,
  ): Promise<T> {
    return this.#apply<T>(type, object, options, 'status');
  }

  delete(type: ResourceType, name: string, namespace?: string): Promise<Status | KubeObject> {
    return this.request('DELETE', resourcePath(type, { namespace, name }));
  }

  /** Sends a JSON request; resolves with the decoded answer, rejects with a KubeApiError for any non-2xx. */
  async request<T>(
    method: Method,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const headers = await this.#headers();
    if (body !== undefined) headers['content-type'] = contentType;
    const response = await request(this.config.server + path, {
      method,
      dispatcher: this.#agent,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const decoded = parseJson(await response.body.text());
    if (response.statusCode >= 300) throw new KubeApiError(`${method} ${path}`, response.statusCode, decoded);
    return decoded as T;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** Closes every connection at once, in-flight watches included. */
  async destroy(): Promise<void> {
    await this.#agent.destroy();
  }

  #apply<T>(type: ResourceType, object: KubeObject, options: ApplyOptions, subresource: string | undefined) {
    const path = withQuery(resourcePath(type, { ...whereOf(object), subresource }), {
      fieldManager: options.fieldManager,
      force: options.force,
    });
    // JSON is YAML: the apply content type takes a JSON body.
    return this.request<T>('PATCH', path, object, 'application/apply-patch+yaml');
  }

  async #headers(): Promise<Record<string, string>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.config.token) headers.authorization = `Bearer ${await this.config.token()}`;
    return headers;
  }
}

function whereOf(object: KubeObject): { namespace?: string; name: string } {
  const name = object.metadata?.name;
  if (!name) throw new Error('the object has no metadata.name');
  return { namespace: object.metadata?.namespace, name };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
