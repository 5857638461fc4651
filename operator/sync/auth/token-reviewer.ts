/**
 * Asks the API server whether a token is valid for our audiences (a TokenReview; the operator's ClusterRole grants
 * `create` on tokenreviews). A review that cannot be made throws: the caller is then neither accepted nor refused.
 */
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { describeKubeError } from '../../kube/api-error.ts';

/** What the API server answered (status of the TokenReview). */
export interface TokenReview {
  readonly authenticated: boolean;
  /** The user the token authenticates, when it does. */
  readonly username?: string;
  /** Those of the requested audiences the token is valid for. */
  readonly audiences: readonly string[];
}

export interface TokenReviewer {
  review(token: string, audiences: readonly string[]): Promise<TokenReview>;
}

/** The error of a review that could not be made; its message never holds the token. */
export class TokenReviewUnavailable extends Error {
  override readonly name = 'TokenReviewUnavailable';
}

/** A text with every occurrence of the token taken out (error texts may quote a request). */
export const withoutToken = (text: string, token: string): string => text.split(token).join('[token]');

/** Reviews tokens with the API server of this configuration (in a pod: its own ServiceAccount's). */
export function apiServerTokenReviewer(config: KubeConfig): TokenReviewer {
  const api = config.makeApiClient(AuthenticationV1Api);
  return {
    async review(token, audiences) {
      try {
        const { status } = await api.createTokenReview({
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, audiences: [...audiences] },
          },
        });
        return {
          authenticated: status?.authenticated === true,
          ...(status?.user?.username === undefined ? {} : { username: status.user.username }),
          audiences: status?.audiences ?? [],
        };
      } catch (err) {
        throw new TokenReviewUnavailable(
          `TokenReview failed: ${withoutToken(describeKubeError(err), token)}`,
        );
      }
    },
  };
}
