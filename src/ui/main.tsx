// The web console's entry point (bundled by scripts/build-ui.mjs into dist/ui).
import { render } from 'preact';
import { App } from './app.js';

render(<App />, document.getElementById('app')!);
