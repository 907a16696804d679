import type { TenantScope } from './types.js';

/** The tenant of shared folders (indexed from the shell): every tenant's searches include it while LOOKALIKE_INCLUDE_SHARED. */
export const sharedTenant = '*';

/** The tenants a search scope reads: its own, and the shared one when included. */
export const tenantsOf = (scope: Pick<TenantScope, 'tenant' | 'includeShared'>): string[] =>
  scope.includeShared && scope.tenant !== sharedTenant ? [scope.tenant, sharedTenant] : [scope.tenant];
