import { describe, expect, test } from '@jest/globals';
import { AuthenticationV1Api } from '@kubernetes/client-node';
import { waitFor } from '../support/wait.ts';
import { kubectl, ok } from './support/kube.ts';
import { useNamespace } from './support/namespace.ts';

describe('service-account tokens', () => {
  const ns = useNamespace('tokens');

  const review = async (token: string, audiences: string[]) => {
    const reviewed = await ns.config
      .makeApiClient(AuthenticationV1Api)
      .createTokenReview({ body: { spec: { token, audiences } } });
    return { status: reviewed.status ?? {} };
  };

  test('a TokenRequest token (audience "switchboard") is accepted by a TokenReview for that audience', async () => {
    const { core, name } = ns;
    await ok(kubectl(['create', 'serviceaccount', 'sidecar', '-n', name]));
    // What a projected volume gives a pod: a TokenRequest for the audience, bound to a short lifetime.
    const request = await core.createNamespacedServiceAccountToken({
      name: 'sidecar',
      namespace: name,
      body: { spec: { audiences: ['switchboard'], expirationSeconds: 600 } },
    });
    const token = request.status?.token ?? '';
    expect(token.split('.')).toHaveLength(3); // a JWT

    const accepted = await review(token, ['switchboard']);
    expect(accepted.status.authenticated).toBe(true);
    expect(accepted.status.audiences).toEqual(['switchboard']);
    expect(accepted.status.user?.username).toBe(`system:serviceaccount:${name}:sidecar`);
    expect(accepted.status.user?.groups).toEqual(
      expect.arrayContaining([
        'system:serviceaccounts',
        `system:serviceaccounts:${name}`,
        'system:authenticated',
      ]),
    );
  });

  test('a token for another audience, a tampered token, and a deleted account are refused', async () => {
    const { name } = ns;
    await ok(kubectl(['create', 'serviceaccount', 'sidecar', '-n', name]));
    const token = (
      await ok(kubectl(['create', 'token', 'sidecar', '-n', name, '--audience=switchboard']))
    ).trim();
    expect((await review(token, ['switchboard'])).status.authenticated).toBe(true);

    const wrongAudience = await review(token, ['someone-else']);
    expect(wrongAudience.status.authenticated).toBeFalsy();

    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { sub: string };
    claims.sub = `system:serviceaccount:${name}:admin`;
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect((await review(forged, ['switchboard'])).status.authenticated).toBeFalsy();

    // Tokens are bound to the ServiceAccount object: deleting it revokes them. (A token already reviewed stays
    // valid for the server's 10 s success cache, so check one never reviewed; the server learns of the deletion
    // through its informer, a moment later.)
    const unreviewed = (
      await ok(kubectl(['create', 'token', 'sidecar', '-n', name, '--audience=switchboard']))
    ).trim();
    await ok(kubectl(['delete', 'serviceaccount', 'sidecar', '-n', name]));
    await waitFor('the token of a deleted ServiceAccount to be refused', async () => {
      return !(await review(unreviewed, ['switchboard'])).status.authenticated;
    });
  });
});
