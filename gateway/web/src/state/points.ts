/** Points in the order the agent describes them, then any the meta does not (yet) name. */
export function pointOrder(described: object | undefined, reported: object): string[] {
  const first = Object.keys(described ?? {});
  const rest = Object.keys(reported)
    .filter((id) => !first.includes(id))
    .sort();
  return [...first, ...rest];
}
