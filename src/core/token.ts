// Callback tokens: opaque to callers, they name the execution, the run and the operation a completion is for.

/** A callback token: opaque to callers, it names the execution, the run and the operation it completes. */
export function encodeToken(executionId: string, runId: string, opId: string, nonce: string): string {
  return toBase64Url(JSON.stringify([executionId, runId, opId, nonce]));
}

/** The execution, run and operation a token names, or undefined for anything that is not a token. */
export function decodeToken(token: string): { executionId: string; runId: string; opId: string } | undefined {
  try {
    const parts = JSON.parse(fromBase64Url(token)) as unknown;
    if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((part) => typeof part === "string")) return undefined;
    return { executionId: parts[0] as string, runId: parts[1] as string, opId: parts[2] as string };
  } catch {
    return undefined;
  }
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}
