// The one Node API a unit test uses (the UI has no @types/node: it never runs on Node).
declare module "node:fs" {
  export function readFileSync(path: string, encoding: "utf8"): string;
}
