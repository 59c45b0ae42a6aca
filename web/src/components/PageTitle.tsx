import { useEffect, useRef, type ReactNode } from 'react';

/**
 * The page's heading and the window title. Focus moves to the heading when the page changes, so a
 * keyboard or screen-reader user starts at the new page instead of the link they followed.
 */
export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · MREG`;
    // Not from under a menu the person has open: a page arriving late (its chunk still loading when
    // they reached for the header) must not close it in their hands.
    if (document.activeElement?.closest('[aria-expanded="true"], .menu:not([hidden])')) return;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <div className="page-title">
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children && <p className="lead">{children}</p>}
    </div>
  );
}
