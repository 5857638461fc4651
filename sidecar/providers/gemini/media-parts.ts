/** OpenAI user content parts that carry media (images, audio, files) → Gemini `inlineData` parts. */
import type { GeminiPart } from './gemini-types.ts';
import { isRecord, stringOf } from '../../../core/json.ts';
import { UntranslatableRequest } from './untranslatable.ts';

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)(?:;[\w-]+=[^;,]*)*;base64,([A-Za-z0-9+/=\s]*)$/;

/** OpenAI's `input_audio.format` values and the MIME types Gemini takes for them. */
const AUDIO_TYPES: Readonly<Record<string, string>> = { wav: 'audio/wav', mp3: 'audio/mp3' };

/** A base64 `data:` URL as inline data; anything else (an http URL, say) cannot be sent. */
function inlineFromDataURL(url: string, what: string): GeminiPart {
  const match = DATA_URL.exec(url);
  if (!match?.[1] || match[2] === undefined) {
    throw new UntranslatableRequest(
      `${what} must be a base64 data: URL; the gemini dialect cannot fetch URLs (it takes media inline)`,
    );
  }
  return { inlineData: { mimeType: match[1], data: match[2].replace(/\s/g, '') } };
}

export function imagePart(part: Record<string, unknown>, where: string): GeminiPart {
  const imageURL = isRecord(part.image_url) ? stringOf(part.image_url.url) : undefined;
  if (imageURL === undefined) throw new UntranslatableRequest(`${where}.image_url.url is missing`);
  return inlineFromDataURL(imageURL, `an image URL (${where})`);
}

export function audioPart(part: Record<string, unknown>, where: string): GeminiPart {
  const audio = isRecord(part.input_audio) ? part.input_audio : {};
  const data = stringOf(audio.data);
  const mimeType = AUDIO_TYPES[stringOf(audio.format) ?? ''];
  if (data === undefined || mimeType === undefined) {
    throw new UntranslatableRequest(`${where}.input_audio needs base64 data and a format of wav or mp3`);
  }
  return { inlineData: { mimeType, data } };
}

export function filePart(part: Record<string, unknown>, where: string): GeminiPart {
  const file = isRecord(part.file) ? part.file : {};
  const data = stringOf(file.file_data);
  if (data === undefined) {
    throw new UntranslatableRequest(
      `${where}: files by file_id are not supported by the gemini dialect; send file_data inline`,
    );
  }
  return inlineFromDataURL(data, `file_data (${where})`);
}
