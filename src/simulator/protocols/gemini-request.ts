/**
 * `models/{model}:generateContent` and `:streamGenerateContent` request validation, from the Gemini
 * API reference (GenerateContentRequest, Content, Part, Tool, FunctionDeclaration, ToolConfig,
 * GenerationConfig, ThinkingConfig) and real error messages quoted in public issue threads.
 */
import { GeminiInvalid, requestError } from './gemini-errors.js';
import { FieldReport, isJson, snake, typed, type Json } from './gemini-fields.js';
import { CONTENT, DATA, DECLARATION, GENERATION, PART, SCHEMA, THINKING, TOOL, TOP } from './gemini-names.js';

export interface GeminiTool {
  name: string;
  schema: unknown;
}

/** The simulator's view of a validated request: only what it uses to answer. */
export interface GenerateRequest {
  contents: Json[];
  systemText: string;
  tools: GeminiTool[];
  mode: 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';
  allowed: string[];
  candidateCount: number;
  maxOutputTokens: number | null;
  stopSequences: string[];
  includeThoughts: boolean;
  thinking: boolean;
  /** `responseMimeType`, or null (text). */
  responseMimeType: string | null;
  /** `responseSchema` (OpenAPI subset) or `responseJsonSchema`, or null. */
  responseSchema: unknown;
}

const MODES = ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'];
const MIME_TYPES = ['text/plain', 'application/json', 'application/xml', 'application/yaml', 'text/x.enum'];
const FUNCTION_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/;

function schema(report: FieldReport, value: unknown, path: string, depth = 0): void {
  if (!isJson(value) || depth > 8) return;
  report.fields(value, SCHEMA, path);
  if (isJson(value.properties)) {
    for (const [key, property] of Object.entries(value.properties)) {
      schema(
        report,
        property,
        `${path}.properties[${Object.keys(value.properties).indexOf(key)}].value`,
        depth + 1,
      );
    }
  }
  if (value.items !== undefined) schema(report, value.items, `${path}.items`, depth + 1);
  if (Array.isArray(value.anyOf))
    value.anyOf.forEach((s, i) => schema(report, s, `${path}.any_of[${i}]`, depth + 1));
}

function part(report: FieldReport, value: unknown, path: string): Json {
  const p = report.fields(typed<Json>(value, 'object', path) ?? {}, PART, path);
  const data = DATA.filter((k) => p[k] !== undefined);
  if (data.length > 1) {
    throw new GeminiInvalid(
      `Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '${data[1]}'`,
    );
  }
  typed(p.text, 'TYPE_STRING', `${path}.text`);
  typed(p.thought, 'TYPE_BOOL', `${path}.thought`);
  for (const key of ['inlineData', 'fileData', 'functionCall', 'functionResponse']) {
    if (p[key] !== undefined) typed(p[key], 'object', `${path}.${snake(key)}`);
  }
  if (isJson(p.inlineData))
    report.fields(p.inlineData, ['mimeType', 'data', 'displayName'], `${path}.inline_data`);
  if (isJson(p.fileData))
    report.fields(p.fileData, ['mimeType', 'fileUri', 'displayName'], `${path}.file_data`);
  if (isJson(p.functionCall)) report.fields(p.functionCall, ['id', 'name', 'args'], `${path}.function_call`);
  if (isJson(p.functionResponse)) {
    report.fields(
      p.functionResponse,
      ['id', 'name', 'response', 'parts', 'willContinue', 'scheduling'],
      `${path}.function_response`,
    );
  }
  return p;
}

function content(report: FieldReport, value: unknown, path: string): Json {
  const c = report.fields(typed<Json>(value, 'object', path) ?? {}, CONTENT, path);
  typed(c.role, 'TYPE_STRING', `${path}.role`);
  const parts = typed<unknown[]>(c.parts, 'list', `${path}.parts`) ?? [];
  c.parts = parts.map((p, j) => part(report, p, `${path}.parts[${j}]`));
  return c;
}

function semanticContents(contents: Json[]): void {
  const count = (c: Json | undefined, key: string): number =>
    ((c?.parts ?? []) as Json[]).filter((p) => p[key] !== undefined).length;
  contents.forEach((c, i) => {
    if (c.role !== undefined && c.role !== 'user' && c.role !== 'model') {
      throw new GeminiInvalid('Please use a valid role: user, model.');
    }
    const parts = c.parts as Json[];
    if (parts.length === 0) throw requestError(`contents[${i}].parts`, 'contents.parts must not be empty.');
    parts.forEach((p, j) => {
      if (!DATA.some((k) => p[k] !== undefined)) {
        throw requestError(
          `contents[${i}].parts[${j}].data`,
          "required oneof field 'data' must have one initialized field",
        );
      }
    });
    const responses = count(c, 'functionResponse');
    if (responses === 0) return;
    const calls = count(contents[i - 1], 'functionCall');
    if (calls === 0)
      throw new GeminiInvalid(
        'Please ensure that function response turn comes immediately after a function call turn.',
      );
    if (calls !== responses) {
      throw new GeminiInvalid(
        'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.',
      );
    }
  });
}

function tools(report: FieldReport, value: unknown): GeminiTool[] {
  const list = typed<unknown[]>(value, 'list', 'tools') ?? [];
  const out: GeminiTool[] = [];
  list.forEach((t, i) => {
    const tool = report.fields(typed<Json>(t, 'object', `tools[${i}]`) ?? {}, TOOL, `tools[${i}]`);
    const declarations =
      typed<unknown[]>(tool.functionDeclarations, 'list', `tools[${i}].function_declarations`) ?? [];
    declarations.forEach((d, k) => {
      const path = `tools[${i}].function_declarations[${k}]`;
      const fn = report.fields(typed<Json>(d, 'object', path) ?? {}, DECLARATION, path);
      const name = typed<string>(fn.name, 'TYPE_STRING', `${path}.name`) ?? '';
      if (!FUNCTION_NAME.test(name)) {
        throw requestError(
          `${path}.name`,
          'Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), ' +
            'underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.',
        );
      }
      if (fn.parameters !== undefined && fn.parametersJsonSchema !== undefined) {
        throw requestError(path, '`parameters` and `parameters_json_schema` cannot both be set.');
      }
      schema(report, typed(fn.parameters, 'object', `${path}.parameters`), `${path}.parameters`);
      out.push({ name, schema: fn.parametersJsonSchema ?? fn.parameters });
    });
  });
  return out;
}

function callingConfig(
  report: FieldReport,
  value: unknown,
): { mode: GenerateRequest['mode']; allowed: string[] } {
  const config = report.fields(
    typed<Json>(value, 'object', 'tool_config') ?? {},
    ['functionCallingConfig', 'retrievalConfig'],
    'tool_config',
  );
  const path = 'tool_config.function_calling_config';
  const fc = report.fields(
    typed<Json>(config.functionCallingConfig, 'object', path) ?? {},
    ['mode', 'allowedFunctionNames'],
    path,
  );
  const mode = fc.mode ?? 'AUTO';
  if (!MODES.includes(mode as string)) {
    throw new GeminiInvalid(
      `Invalid value at '${path}.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), ${JSON.stringify(mode)}`,
    );
  }
  const allowed = typed<string[]>(fc.allowedFunctionNames, 'list', `${path}.allowed_function_names`) ?? [];
  if (allowed.length > 0 && mode !== 'ANY') {
    throw requestError(
      `${path}.allowed_function_names`,
      'allowed_function_names may only be set when mode is ANY.',
    );
  }
  return { mode: (mode === 'MODE_UNSPECIFIED' ? 'AUTO' : mode) as GenerateRequest['mode'], allowed };
}

function range(value: number | undefined, path: string, min: number, max: number): void {
  if (value !== undefined && (value < min || value > max)) {
    throw requestError(path, `${path.split('.').at(-1)} must be in the range [${min}, ${max}].`);
  }
}

function generation(report: FieldReport, value: unknown): Json {
  const g = report.fields(
    typed<Json>(value, 'object', 'generation_config') ?? {},
    GENERATION,
    'generation_config',
  );
  const at = (k: string): string => `generation_config.${snake(k)}`;
  range(typed(g.temperature, 'TYPE_FLOAT', at('temperature')), at('temperature'), 0, 2);
  range(typed(g.topP, 'TYPE_FLOAT', at('topP')), at('topP'), 0, 1);
  typed(g.topK, 'TYPE_INT32', at('topK'));
  range(typed(g.candidateCount, 'TYPE_INT32', at('candidateCount')), at('candidateCount'), 1, 8);
  range(typed(g.maxOutputTokens, 'TYPE_INT32', at('maxOutputTokens')), at('maxOutputTokens'), 1, 1_000_000);
  const stops = typed<unknown[]>(g.stopSequences, 'list', at('stopSequences')) ?? [];
  stops.forEach((s, i) => typed(s, 'TYPE_STRING', `${at('stopSequences')}[${i}]`));
  if (stops.length > 5)
    throw requestError(at('stopSequences'), 'the number of stop_sequences must be at most 5.');
  const mime = typed<string>(g.responseMimeType, 'TYPE_STRING', at('responseMimeType'));
  if (mime !== undefined && !MIME_TYPES.includes(mime)) {
    throw requestError(
      at('responseMimeType'),
      'allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`.',
    );
  }
  const jsonSchema = g.responseJsonSchema ?? g._responseJsonSchema;
  if (g.responseSchema !== undefined && jsonSchema !== undefined) {
    throw requestError(
      at('responseSchema'),
      '`response_schema` and `response_json_schema` cannot both be set.',
    );
  }
  if (
    (g.responseSchema !== undefined || jsonSchema !== undefined) &&
    mime !== 'application/json' &&
    mime !== 'text/x.enum'
  ) {
    throw requestError(
      at('responseMimeType'),
      'response_mime_type must be `application/json` or `text/x.enum` when a response schema is set.',
    );
  }
  schema(report, typed(g.responseSchema, 'object', at('responseSchema')), at('responseSchema'));
  const thinking = report.fields(
    typed<Json>(g.thinkingConfig, 'object', at('thinkingConfig')) ?? {},
    THINKING,
    at('thinkingConfig'),
  );
  typed(thinking.includeThoughts, 'TYPE_BOOL', `${at('thinkingConfig')}.include_thoughts`);
  typed(thinking.thinkingBudget, 'TYPE_INT32', `${at('thinkingConfig')}.thinking_budget`);
  g.thinkingConfig = thinking;
  return g;
}

function systemText(report: FieldReport, value: unknown): string {
  if (value === undefined) return '';
  const c = content(report, value, 'system_instruction');
  return (c.parts as Json[]).map((p) => (typeof p.text === 'string' ? p.text : '')).join(' ');
}

export function validateGenerateRequest(body: Json): GenerateRequest {
  const report = new FieldReport();
  report.fields(body, TOP, '');
  const list = typed<unknown[]>(body.contents, 'list', 'contents') ?? [];
  const contents = list.map((c, i) => content(report, c, `contents[${i}]`));
  const system = systemText(report, body.systemInstruction);
  const declared = tools(report, body.tools);
  const config = callingConfig(report, body.toolConfig);
  const g = generation(report, body.generationConfig);
  report.flush();
  if (contents.length === 0) throw requestError('contents', 'contents is not specified');
  semanticContents(contents);
  const thinking = g.thinkingConfig as Json;
  return {
    responseMimeType: typeof g.responseMimeType === 'string' ? g.responseMimeType : null,
    responseSchema: g.responseSchema ?? g.responseJsonSchema ?? g._responseJsonSchema ?? null,
    contents,
    systemText: system,
    tools: declared,
    ...config,
    candidateCount: (g.candidateCount as number | undefined) ?? 1,
    maxOutputTokens: (g.maxOutputTokens as number | undefined) ?? null,
    stopSequences: (g.stopSequences as string[] | undefined) ?? [],
    includeThoughts: thinking.includeThoughts === true,
    thinking:
      thinking.includeThoughts === true ||
      (typeof thinking.thinkingBudget === 'number' && thinking.thinkingBudget > 0),
  };
}
