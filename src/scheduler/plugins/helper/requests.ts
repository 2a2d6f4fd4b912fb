/**
 * schedutil.IsScalarResourceName: extended resources (`example.com/gpu`), prefixed native
 * ones (`kubernetes.io/…`), hugepages and attachable volumes. Anything else (an unknown
 * bare name) is not compared.
 */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('requests.')) return false;
  return (
    name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')
  );
}
