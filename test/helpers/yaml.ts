import { execFileSync } from 'node:child_process';

/**
 * A YAML document as an object, read with PyYAML (python3-yaml, which Debian's
 * docker-compose package brings; the project has no YAML package of its own).
 */
export function parseYaml<T = unknown>(text: string): T {
  const json = execFileSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: text, encoding: 'utf8' });
  return JSON.parse(json) as T;
}
