/** Rollouts and Devices arrive in part 2; the shell already has their place. */
export function PlaceholderScreen({ title, hint }: { title: string; hint: string }) {
  return (
    <>
      <div className="screen-head">
        <h1 id="section-title">{title}</h1>
      </div>
      <section className="empty-state" data-testid="empty-state">
        <h2>Coming next</h2>
        <p>{hint}</p>
      </section>
    </>
  );
}
