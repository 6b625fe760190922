// Where an audit entry's object opens: a rollout in its view, a package in the catalog, a
// device on its page; keys and tokens in Settings. Images, upload jobs and profiles have no
// screen of their own.
import { routeHash } from "../../lib/route";

export function objectHash(objectType: string, objectId: string): string | null {
  switch (objectType) {
    case "rollout":
      return routeHash("rollouts", objectId);
    case "package":
      return routeHash("catalog", objectId);
    case "device":
      return routeHash("devices", objectId);
    case "signing_key":
    case "api_token":
    case "tenant":
      return routeHash("settings");
    default:
      return null;
  }
}

/** An action as a person reads it: "rollout.retry_failed" → "rollout · retry failed". */
export function actionLabel(action: string): string {
  const [object, verb] = action.split(".");
  if (!verb) return action.replace(/_/g, " ");
  return `${object.replace(/_/g, " ")} · ${verb.replace(/_/g, " ")}`;
}

/** An object type as a person reads it: "upload_job" → "upload job". */
export function objectTypeLabel(objectType: string): string {
  return objectType.replace(/_/g, " ");
}
