import type { MockFailure, MockJsonReply } from '../../dialect.ts';
import { openAiFailure } from '../openai/openai-errors.ts';

/** Azure's gateway errors: `{"error": {"code": "<status>", "message": ...}}`, the code being the status again. */
function gatewayError(
  status: number,
  message: string,
  headers?: Readonly<Record<string, string>>,
): MockJsonReply {
  const body = { error: { code: String(status), message } };
  return headers === undefined ? { kind: 'json', status, body } : { kind: 'json', status, body, headers };
}

export function azureResourceNotFound(): MockJsonReply {
  return gatewayError(404, 'Resource not found');
}

export function deploymentNotFound(): MockJsonReply {
  return {
    kind: 'json',
    status: 404,
    body: {
      error: {
        code: 'DeploymentNotFound',
        message:
          'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
      },
    },
  };
}

/** Words a failure decided by the generic server as Azure OpenAI does; the rest are OpenAI's own bodies. */
export function azureFailure(failure: MockFailure): MockJsonReply {
  switch (failure.kind) {
    case 'unauthorized':
      return gatewayError(
        401,
        'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      );
    case 'rate-limited': {
      const seconds = Math.max(1, Math.ceil(failure.retryAfterMs / 1000));
      const limit = failure.scope === 'requests' ? 'call rate limit' : 'token rate limit';
      return gatewayError(
        429,
        `Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded ${limit} of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
        { 'retry-after': String(seconds), 'retry-after-ms': String(Math.round(failure.retryAfterMs)) },
      );
    }
    case 'not-found':
      return azureResourceNotFound();
    default:
      return openAiFailure(failure);
  }
}
