/** A route's hooks of one kind as a list, in whichever form (none, one, a list) the route was given them. */
export function routeHooks<Hook>(hooks: Hook | Hook[] | undefined): Hook[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}
