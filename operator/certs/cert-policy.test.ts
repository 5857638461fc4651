import { describe, expect, test } from '@jest/globals';
import {
  decideCertificates,
  issuedNotBefore,
  renewalPoint,
  serviceDnsNames,
  type CertDecision,
  type CertSettings,
  type StoredCertFacts,
} from './cert-policy.ts';

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const NAMES = serviceDnsNames('switchboard-operator', 'switchboard');
const settings: CertSettings = {
  caValidityMs: 10 * YEAR,
  servingValidityMs: 90 * DAY,
  dnsNames: NAMES,
  ipAddresses: [],
};

/** A CA issued at 0 for 10 years and a serving certificate issued at `servedAt` for 90 days. */
function stored(
  servedAt = 0,
  overrides: Partial<NonNullable<StoredCertFacts['serving']>> = {},
): StoredCertFacts {
  return {
    ca: { notBefore: 0, notAfter: 10 * YEAR, keyMatches: true },
    serving: {
      notBefore: servedAt,
      notAfter: servedAt + 90 * DAY,
      issuedByCa: true,
      keyMatches: true,
      dnsNames: NAMES,
      ipAddresses: [],
      ...overrides,
    },
  };
}

describe('decideCertificates', () => {
  test.each<[string, StoredCertFacts, number, CertDecision['action'], string]>([
    ['issues a CA when the Secret is empty', { ca: undefined, serving: undefined }, 0, 'issue-ca', 'no CA'],
    [
      'issues a CA when its key does not match its certificate',
      { ...stored(), ca: { notBefore: 0, notAfter: 10 * YEAR, keyMatches: false } },
      DAY,
      'issue-ca',
      'key does not match',
    ],
    [
      'issues a CA when it expired',
      { ...stored(), ca: { notBefore: 0, notAfter: YEAR, keyMatches: true } },
      YEAR,
      'issue-ca',
      'expired',
    ],
    ['renews the CA at 2/3 of its life', stored(), (10 * YEAR * 2) / 3, 'issue-ca', 'due for renewal'],
    [
      'issues a serving certificate under the stored CA when there is none',
      { ...stored(), serving: undefined },
      DAY,
      'issue-serving',
      'no serving',
    ],
    [
      'reissues a serving certificate another CA signed',
      stored(0, { issuedByCa: false }),
      DAY,
      'issue-serving',
      'not signed by the CA',
    ],
    [
      'reissues when the serving key does not match',
      stored(0, { keyMatches: false }),
      DAY,
      'issue-serving',
      'key does not match',
    ],
    [
      'reissues when a name of the Service is missing',
      stored(0, { dnsNames: NAMES.slice(0, 2) }),
      DAY,
      'issue-serving',
      'lacks switchboard-operator.switchboard.svc, switchboard-operator.switchboard.svc.cluster.local',
    ],
    ['keeps a serving certificate before 2/3 of its life', stored(), 59 * DAY, 'keep', ''],
    [
      'renews the serving certificate at 2/3 of its life',
      stored(),
      60 * DAY,
      'issue-serving',
      'due for renewal',
    ],
    ['reissues an expired serving certificate', stored(), 91 * DAY, 'issue-serving', 'expired'],
  ])('%s', (_name, facts, now, action, reason) => {
    const decision = decideCertificates(facts, settings, now);
    expect(decision.action).toBe(action);
    if (reason !== '') expect(decision).toMatchObject({ reason: expect.stringContaining(reason) });
  });

  test('reissues when a wanted IP address is missing (a test webhook on 127.0.0.1)', () => {
    const decision = decideCertificates(stored(), { ...settings, ipAddresses: ['127.0.0.1'] }, DAY);
    expect(decision).toEqual({ action: 'issue-serving', reason: 'the serving certificate lacks 127.0.0.1' });
  });

  test('keeping looks again at the serving renewal point', () => {
    expect(decideCertificates(stored(10 * DAY), settings, 11 * DAY)).toEqual({
      action: 'keep',
      nextCheckAt: 10 * DAY + 60 * DAY,
    });
  });

  test('keeping looks again at the CA renewal point when it comes first', () => {
    const servedAt = 6.6 * YEAR;
    const decision = decideCertificates(stored(servedAt), settings, servedAt + DAY);
    expect(decision).toEqual({
      action: 'keep',
      nextCheckAt: renewalPoint({ notBefore: 0, notAfter: 10 * YEAR }),
    });
  });

  test('in virtual time with a 6 s validity, a certificate is renewed every 4 s and never lapses', () => {
    const validity = 6_000;
    let serving = { notBefore: issuedNotBefore(0, validity), notAfter: validity };
    const renewals: number[] = [];
    for (let now = 0; now <= 20_000; now += 100) {
      expect(now).toBeLessThan(serving.notAfter);
      const decision = decideCertificates(
        { ca: stored().ca, serving: { ...stored().serving!, ...serving } },
        { ...settings, servingValidityMs: validity },
        now,
      );
      if (decision.action === 'issue-serving') {
        renewals.push(now);
        serving = { notBefore: issuedNotBefore(now, validity), notAfter: now + validity };
      } else expect(decision.action).toBe('keep');
    }
    expect(renewals).toEqual([3_800, 7_600, 11_400, 15_200, 19_000]);
  });
});
