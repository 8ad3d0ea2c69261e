/**
 * The config's TypeScript twin agrees with its JSON schema (the single source of truth): the same
 * fields at every level, and a field the type says is always there is required by the schema, has a
 * schema default, or is filled in by validateConfig. Read with the TypeScript compiler's type checker
 * from src/core/config/config.ts, so a field added to one and not the other fails here.
 */
import * as assert from 'assert';
import * as path from 'path';
import * as ts from 'typescript';
import { compileLoss, lossDefinitions } from '../../src/core/losses/registry';
import { aliasNames } from '../../src/core/losses/aliases';
import { BACKEND_CHOICES } from '../../src/core/backend/names';
import * as fs from 'fs';
import schema from '../../schemas/experiment.schema.json';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CONFIG_TS = path.join(ROOT, 'src', 'core', 'config', 'config.ts');
/** Filled in by validateConfig from the file (name: the file name; runsDir: resolved next to it). */
const FILLED = new Set(['name', 'runsDir']);

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  required?: string[];
  default?: unknown;
  oneOf?: SchemaNode[];
}

function compare(checker: ts.TypeChecker, type: ts.Type, node: SchemaNode, at: string, problems: string[]): void {
  const props = checker.getPropertiesOfType(checker.getNonNullableType(type));
  const tsKeys = new Set(props.map((p) => p.getName()));
  const schemaKeys = new Set(Object.keys(node.properties ?? {}).filter((k) => k !== '$schema'));
  for (const k of tsKeys) if (!schemaKeys.has(k)) problems.push(`${at}${k}: in ExperimentConfig, not in the schema`);
  for (const k of schemaKeys) if (!tsKeys.has(k)) problems.push(`${at}${k}: in the schema, not in ExperimentConfig`);
  for (const p of props) {
    const key = p.getName();
    const child = node.properties?.[key];
    if (!child) continue;
    const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
    const present = (node.required ?? []).includes(key) || 'default' in child || (at === '' && FILLED.has(key));
    if (!optional && !present)
      problems.push(`${at}${key}: always there in ExperimentConfig, but neither required nor defaulted in the schema`);
    if (optional && 'default' in child) problems.push(`${at}${key}: optional in ExperimentConfig, but the schema gives it a default`);
    const propType = checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration!);
    const objectVariant = child.properties ? child : child.oneOf?.find((v) => v.properties);
    if (!objectVariant) continue;
    const members = checker.getNonNullableType(propType).isUnion()
      ? (checker.getNonNullableType(propType) as ts.UnionType).types
      : [checker.getNonNullableType(propType)];
    const objectMember = members.find((m) => (m.flags & ts.TypeFlags.Object) !== 0);
    if (objectMember) compare(checker, objectMember, objectVariant, `${at}${key}.`, problems);
  }
}

describe('config: ExperimentConfig and schemas/experiment.schema.json agree', () => {
  it('same fields at every level, and every always-present field is required, defaulted or filled', function () {
    this.timeout(60000);
    const program = ts.createProgram([CONFIG_TS], {
      strict: true,
      resolveJsonModule: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
    });
    const checker = program.getTypeChecker();
    const file = program.getSourceFile(CONFIG_TS)!;
    const decl = file.statements.find(
      (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'ExperimentConfig',
    );
    assert.ok(decl, 'ExperimentConfig is declared in config.ts');
    const problems: string[] = [];
    compare(checker, checker.getTypeAtLocation(decl), schema as unknown as SchemaNode, '', problems);
    assert.deepStrictEqual(problems, []);
  });
});

describe('config schema in the editor: hover docs and loss completion', () => {
  const doc = schema as unknown as Record<string, unknown> & { properties: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('every field at every level has a description (hover docs)', () => {
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, at: string) => {
      for (const branch of [...((node.oneOf as object[]) ?? []), ...((node.anyOf as object[]) ?? [])])
        walk(branch as Record<string, unknown>, at);
      for (const [key, child] of Object.entries((node.properties as Record<string, Record<string, unknown>>) ?? {})) {
        if (typeof child.description !== 'string' || child.description.length < 10) missing.push(at + key);
        walk(child, `${at}${key}.`);
      }
    };
    walk(doc, '');
    assert.deepStrictEqual(missing, []);
  });

  it('loss names complete from the registry (every loss, the smp/MONAI aliases, and compound examples that compile)', () => {
    const names = [...lossDefinitions().map((d) => d.name), ...aliasNames()];
    const lists = [
      doc.properties.loss.oneOf[0].examples,
      doc.properties.loss.oneOf[1].properties.name.examples,
      ...Object.values(doc.properties.loss.oneOf[1].properties.byHead.properties).map((p) => (p as { examples: string[] }).examples),
    ] as string[][];
    for (const examples of lists) {
      assert.deepStrictEqual(
        examples.filter((e) => !e.includes('+')),
        names,
        'the plain names are the registry then the aliases, in their order',
      );
      const needsWeights = new Set(
        lossDefinitions()
          .filter((d) => d.requires?.includes('weights'))
          .map((d) => d.name),
      );
      for (const e of examples) assert.doesNotThrow(() => compileLoss(e, needsWeights.has(e) ? { weights: new Float32Array(1) } : {}), e);
    }
  });

  it("backend names are core/backend/names.ts's, in the schema's enum and in package.json's seglab.backend setting", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.deepStrictEqual(doc.properties.backend.enum, [...BACKEND_CHOICES]);
    assert.deepStrictEqual(pkg.contributes.configuration.properties['seglab.backend'].enum, [...BACKEND_CHOICES]);
  });
});
