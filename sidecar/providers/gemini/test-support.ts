/** Shared by this folder's tests: golden files and a target. */
import { readFileSync } from 'node:fs';
import { Secret } from '../../core/secret.ts';
import type { TargetEndpoint } from '../adapter.ts';

export function fixtureText(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

export function fixture(name: string): unknown {
  return JSON.parse(fixtureText(name)) as unknown;
}

export const TARGET: TargetEndpoint = {
  baseURL: 'https://generativelanguage.googleapis.com',
  model: 'gemini-2.5-flash',
  apiKey: new Secret('AIzaSyTEST-key-0123456789'),
  maxOutputTokens: undefined,
  apiVersion: undefined,
};
