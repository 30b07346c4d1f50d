/**
 * The restricted role every request runs as: it owns no table and has neither
 * SUPERUSER nor BYPASSRLS, so forced row-level security always applies.
 */
export const APP_ROLE = 'saas_app';
