import { describe, expect, it } from 'vitest';
import { decide, policyFor } from '../gateway/egress-policy.js';
import { loadTrustedDomains, parseTrustedDomains } from './trusted-domains.js';

const trusted = () => loadTrustedDomains().flatMap((group) => group.patterns);

describe('trusted domains', () => {
  it('ships a valid list with the registries and hosts users rely on', () => {
    const groups = loadTrustedDomains();
    const all = trusted();
    expect(groups.length).toBeGreaterThan(5);
    expect(all).toEqual(expect.arrayContaining(['github.com', 'api.anthropic.com', '*.npmjs.org']));
    expect(new Set(all).size).toBe(all.length);
  });

  it('refuses a bad line in the file, naming it', () => {
    expect(() => parseTrustedDomains('[G]\nok.example\n*.com\n')).toThrow(/line 3: "\*\.com"/);
  });

  // Names anyone can get under a shared domain: a bucket, an app, a function, a
  // CDN distribution, a VM. A wildcard over one of these would let a sandbox reach
  // a server its attacker runs, so the trusted level must refuse them all.
  const rentable = [
    'attacker-bucket.s3.amazonaws.com',
    'attacker-bucket.s3.us-east-1.amazonaws.com',
    's3.amazonaws.com',
    'ec2-203-0-113-9.compute-1.amazonaws.com',
    'attacker-123.us-east-1.elb.amazonaws.com',
    'abc123.execute-api.us-east-1.amazonaws.com',
    'abc123.lambda-url.us-east-1.on.aws',
    'd1234abcd.cloudfront.net',
    'attacker.herokuapp.com',
    'attacker.vercel.app',
    'attacker.github.io',
    'attacker.workers.dev',
    'attacker.pages.dev',
    'attacker.netlify.app',
    'attacker.azurewebsites.net',
    'attacker.blob.core.windows.net',
    'attacker.appspot.com',
    'attacker.web.app',
    'attacker.firebaseapp.com',
    'attacker-abc.a.run.app',
    'us-central1-attacker.cloudfunctions.net',
    'attacker-bucket.storage.googleapis.com',
    'o123456.ingest.sentry.io',
    'attacker.sourceforge.net',
    'attacker.ngrok-free.app',
    'attacker.fly.dev',
    'attacker.onrender.com',
  ];

  it.each(rentable)('does not trust %s, a name anyone can rent', (host) => {
    const policy = policyFor({ level: 'trusted' }, trusted());
    expect(decide(host, 443, policy).allow).toBe(false);
  });

  it('still trusts the exact hosts registries and tools download from', () => {
    const policy = policyFor({ level: 'trusted' }, trusted());
    for (const host of [
      'pypi.org',
      'files.pythonhosted.org',
      'github.com',
      'objects.githubusercontent.com',
      'github-production-release-asset-2e65be.s3.amazonaws.com',
      'storage.googleapis.com',
      'proxy.golang.org',
      'static.crates.io',
      'us.gcr.io',
      'downloads.sourceforge.net',
      'netix.dl.sourceforge.net',
    ]) {
      expect(decide(host, 443, policy).allow, host).toBe(true);
    }
  });
});
