// The Node APIs unit tests use (the UI has no @types/node: it never runs on Node).
declare module "node:fs" {
  export function readFileSync(path: string, encoding: "utf8"): string;
  export function readdirSync(path: string): string[];
}
