import { requestFingerprint } from './request-fingerprint';

describe('request fingerprint', () => {
  const account = '7f1c0a52-8a4e-4b59-9e0c-0d6f5c1b2a3e';

  it('treats the same parts in another order as the same request', () => {
    const a = requestFingerprint({ accountId: account, parts: [{ program: 'KB_POINTREE', points: 5 }, { program: 'HYUNDAI_M', points: 9 }] });
    const b = requestFingerprint({ accountId: account, parts: [{ program: 'HYUNDAI_M', points: 9 }, { program: 'KB_POINTREE', points: 5 }] });
    expect(a).toBe(b);
  });

  it('tells a request id reused with other amounts apart', () => {
    const a = requestFingerprint({ accountId: account, parts: [{ program: 'KB_POINTREE', points: 5 }] });
    const b = requestFingerprint({ accountId: account, parts: [{ program: 'KB_POINTREE', points: 6 }] });
    expect(a).not.toBe(b);
  });
});
