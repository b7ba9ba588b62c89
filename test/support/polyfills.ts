// The same Promise.withResolvers polyfill the local runner installs (Node 20).
import '../../infra/local/polyfills.ts';
