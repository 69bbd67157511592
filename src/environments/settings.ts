import { ValidationError } from '../errors.js';
import type { EnvironmentSettings } from '../store/environments.js';

export const DEFAULT_SETTINGS: Omit<EnvironmentSettings, 'name'> = {
  networkLevel: 'trusted',
  allowlist: [],
  includeDefaults: false,
  envVars: '',
  setupScript: '',
  image: null,
  defaultAgent: null,
};

/**
 * Rules across fields, checked on the settings an environment would end up with
 * (after a partial edit too). Each field's own rules are in its schema.
 */
export function checkSettings(settings: EnvironmentSettings): EnvironmentSettings {
  if (
    settings.networkLevel === 'custom' &&
    settings.allowlist.length === 0 &&
    !settings.includeDefaults
  ) {
    throw new ValidationError(
      'the custom network level needs at least one allowed domain, or includeDefaults: true (use "none" for no network)',
      'allowlist',
    );
  }
  // Pick the fields by name: callers pass stored rows merged with a partial edit.
  return {
    name: settings.name,
    networkLevel: settings.networkLevel,
    allowlist: [...new Set(settings.allowlist)],
    includeDefaults: settings.includeDefaults,
    envVars: settings.envVars,
    setupScript: settings.setupScript,
    image: settings.image,
    defaultAgent: settings.defaultAgent,
  };
}
