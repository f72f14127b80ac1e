// Who is asking, and through which door: every registry call carries one. The door names the
// front end (the native API, a façade, a controller) for audit and for errors worded its way.
import { systemPrincipal, type Principal } from '../security/principal.js';

export interface RequestContext {
  principal: Principal;
  /** The door the request came in by: "api", "fleet", "controller"… */
  via: string;
}

/** The server's own work (controllers acting on their own behalf). */
export const systemContext: RequestContext = Object.freeze({ principal: systemPrincipal, via: 'controller' });
