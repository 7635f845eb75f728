import { Link } from "react-router-dom";

/** What a page shows for an id that is malformed, unknown, or not the user's to see. */
export function NotFound({ what }: { what: string }) {
  return (
    <div className="empty" data-testid="not-found">
      <h1>Not found</h1>
      <p>{what} does not exist, or is in a project you are not a member of.</p>
      <p><Link to="/">Dashboard</Link> · <Link to="/errors">Errors</Link> · <Link to="/traces">Traces</Link></p>
    </div>
  );
}
