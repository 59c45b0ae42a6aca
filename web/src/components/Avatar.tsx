/** The person's picture, or their initials on a coloured disc. */
export function Avatar({ name, url, size = 32 }: { name: string; url: string | null; size?: number }) {
  const initials =
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((part) => part[0]!.toUpperCase())
      .join('') || '?';
  const className = `avatar avatar-${size}`;
  if (url) return <img className={className} src={url} alt="" width={size} height={size} />;
  return (
    // Drawn by the stylesheet (attr()), not text: a button holding it is named by its words alone.
    <span className={className} aria-hidden="true" data-initials={initials} />
  );
}
