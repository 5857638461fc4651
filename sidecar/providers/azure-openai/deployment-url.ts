/**
 * Azure OpenAI addresses a model by its deployment in the path and the API version in the query:
 * `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version={version}`.
 *
 * The provider's `baseURL` is the resource endpoint, `https://{resource}.openai.azure.com`. A trailing `/openai`
 * (the base URL the OpenAI SDK's `AzureOpenAI` client uses) and trailing slashes are accepted and dropped, so
 * both spellings name the same resource. Any other path (an API gateway's prefix, say) is kept.
 */
export function deploymentURL(baseURL: string, deployment: string, path: string, apiVersion: string): URL {
  const root = baseURL.replace(/\/+$/, '').replace(/\/openai$/, '');
  const url = new URL(`${root}/openai/deployments/${encodeURIComponent(deployment)}/${path}`);
  url.searchParams.set('api-version', apiVersion);
  return url;
}
