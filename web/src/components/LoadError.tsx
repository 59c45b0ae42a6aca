/** A failed load: what failed, why, and a way to try again. */
export function LoadError({ what, error, retry }: { what: string; error: { message: string }; retry: () => unknown }) {
  return (
    <div role="alert" className="error">
      <p>
        {what}: {error.message}
      </p>
      <button type="button" onClick={() => void retry()}>
        Try again
      </button>
    </div>
  );
}
