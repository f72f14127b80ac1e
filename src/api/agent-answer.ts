// An agent's refusal, as the server passes it on: the agent's own message (from its error
// envelope when it sent one), under the code that says whose move it is.
import { ApiError } from '../errors.js';

export function agentRefusal(statusCode: number | undefined, body: string): ApiError {
  let message = body;
  try {
    message = (JSON.parse(body) as { error: { message: string } }).error.message;
  } catch {
    // not the agent's error envelope
  }
  const code = statusCode ?? 503;
  return new ApiError(code === 404 ? 'NotFound' : code === 409 ? 'Conflict' : code === 400 ? 'BadRequest' : 'Unavailable', `the agent answered: ${message}`);
}
