/**
 * How much of the network an environment's sandboxes reach: nothing, the trusted
 * default list, everything, or a custom allowlist (see gateway/egress-policy.ts).
 */
export const networkLevels = ['none', 'trusted', 'full', 'custom'] as const;
export type NetworkLevel = (typeof networkLevels)[number];
