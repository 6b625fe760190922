import { useQuery } from "@tanstack/react-query";
import * as ipc from "../../ipc";
import { keys, useActiveConnection } from "../../lib/queries";

/** Past this share of the quota, the line turns into a warning. */
const NEARLY_FULL = 0.9;

/**
 * How many firmware images the fleet holds of the most it may (`--max-images`): every upload
 * adds one, and a full quota refuses the next. Nothing is shown when the server cannot be
 * asked (offline) or has no quota.
 */
export function ImageQuota() {
  const active = useActiveConnection();
  const quota = useQuery({
    queryKey: keys.imageQuota(active),
    queryFn: ipc.imageQuota,
    enabled: active !== null,
    retry: false,
  });
  const q = quota.data;
  if (!q) return null;
  const count = (n: number) => n.toLocaleString("en-US");
  const full = q.used >= q.max;
  const nearly = !full && q.used >= q.max * NEARLY_FULL;
  return (
    <p
      className={full ? "image-quota full" : nearly ? "image-quota nearly-full" : "image-quota muted"}
      data-testid="image-quota"
      role={full ? "alert" : undefined}
    >
      Firmware images: {count(q.used)} of {count(q.max)} used
      {full && ". The fleet refuses new uploads until an image is deleted (airlift-cli image delete)."}
      {nearly && ": nearly full."}
    </p>
  );
}
