/**
 * Non-text content parts → `inlineData` / `fileData` (ai.google.dev/gemini-api/docs/file-input-methods).
 *
 * - `image_url` with a base64 data URL → `inlineData {mimeType, data}`;
 * - `image_url` with an https URL → `fileData {mimeType, fileUri}`. The API fetches public and signed
 *   https URLs itself ("Increased file size limits and expanded inputs support in Gemini API",
 *   blog.google, 2026: "pass any publicly accessible URL … directly in your generation request"), and
 *   Files API URIs are https URLs too. FileData requires a MIME type: it comes from the URL's file
 *   extension, `image/jpeg` when there is none (the part is an image by its OpenAI type). Other schemes
 *   (http, gs, ftp) are refused: the API documents https only;
 * - `input_audio {data, format}` → `inlineData` with `audio/<format>`: Gemini understands audio input
 *   (…/docs/audio), so this is translated rather than refused;
 * - `file {file_data}` (a data URL, or base64 with a `filename` giving the type) → `inlineData`;
 *   `file {file_id}` names an OpenAI upload Gemini cannot read and is refused.
 */
import type { ContentPart } from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import type { AttemptContext } from '../types.js';
import { refuse } from './refuse.js';
import type { Part } from './wire.js';

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  txt: 'text/plain',
  mp3: 'audio/mp3',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  aac: 'audio/aac',
  mp4: 'video/mp4',
  mov: 'video/mov',
  webm: 'video/webm',
};

const DEFAULT_IMAGE_MIME = 'image/jpeg';

export function mediaPart(part: ContentPart, param: string, ctx: AttemptContext): Part | undefined {
  switch (part?.type) {
    case 'image_url':
      return imagePart(part, param, ctx);
    case 'input_audio':
      return audioPart(part, param);
    case 'file':
      return filePart(part, param, ctx);
    default:
      refuse(ctx, param, `A content part of type ${JSON.stringify(part?.type)}`);
      return undefined;
  }
}

function imagePart(part: ContentPart, param: string, ctx: AttemptContext): Part | undefined {
  const url = (part as { image_url?: { url?: unknown } }).image_url?.url;
  const urlParam = `${param}.image_url.url`;
  if (typeof url !== 'string') throw invalidRequest(`${urlParam} must be a string.`, urlParam);
  if (url.startsWith('data:')) return { inlineData: dataUrl(url, urlParam) };
  if (/^https:\/\//i.test(url))
    return { fileData: { mimeType: mimeFromPath(url) ?? DEFAULT_IMAGE_MIME, fileUri: url } };
  refuse(ctx, urlParam, 'An image URL that is neither https nor a base64 data URL');
  return undefined;
}

function audioPart(part: ContentPart, param: string): Part {
  const audio = (part as { input_audio?: { data?: unknown; format?: unknown } }).input_audio;
  if (typeof audio?.data !== 'string' || typeof audio.format !== 'string' || !audio.format) {
    throw invalidRequest(
      `${param}.input_audio needs string \`data\` and \`format\`.`,
      `${param}.input_audio`,
    );
  }
  return { inlineData: { mimeType: `audio/${audio.format.toLowerCase()}`, data: audio.data } };
}

function filePart(part: ContentPart, param: string, ctx: AttemptContext): Part | undefined {
  const file = (part as { file?: { file_data?: unknown; file_id?: unknown; filename?: unknown } }).file;
  const data = file?.file_data;
  if (typeof data !== 'string' || data === '') {
    refuse(ctx, `${param}.file.file_id`, 'A file referenced by `file_id` (an OpenAI upload)');
    return undefined;
  }
  if (data.startsWith('data:')) return { inlineData: dataUrl(data, `${param}.file.file_data`) };
  const mimeType = typeof file?.filename === 'string' ? mimeFromPath(file.filename) : undefined;
  if (mimeType === undefined) {
    throw invalidRequest(
      `${param}.file.file_data must be a data URL (data:application/pdf;base64,…) or come with a filename whose extension gives its type.`,
      `${param}.file.file_data`,
    );
  }
  return { inlineData: { mimeType, data } };
}

function dataUrl(url: string, param: string): { mimeType: string; data: string } {
  const comma = url.indexOf(',');
  const header = comma === -1 ? '' : url.slice(5, comma);
  if (!header.toLowerCase().endsWith(';base64') || header.length === ';base64'.length) {
    throw invalidRequest(`${param} must be a base64 data URL (data:image/png;base64,…).`, param);
  }
  return { mimeType: header.slice(0, -';base64'.length).toLowerCase(), data: url.slice(comma + 1) };
}

/** The MIME type a path's or URL's file extension names (query and fragment ignored), if known. */
export function mimeFromPath(path: string): string | undefined {
  const bare = path.split(/[?#]/, 1)[0] ?? '';
  const m = /\.([a-z0-9]+)$/i.exec(bare);
  return m === null ? undefined : MIME_BY_EXTENSION[(m[1] as string).toLowerCase()];
}
