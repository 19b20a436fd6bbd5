// The layer rules of the source tree (docs/architecture.md, "Layers"), checked by `npm run lint:deps`
// inside `npm test`: a back arrow or a cycle fails CI.
//
// Arrows point down only:
//   embedded/, bench/          join the two programs (nothing imports them)
//   engine/, syncer/           the two programs: each imports core/, never the other
//   core/runtime, core/store   process and storage pieces
//   core/domain                pure rules and data
//   core/errors.ts             imports nothing of ours
// Inside the engine: main.ts/engine.ts → sync/ → pool/ → server/ → routes/ → http/ →
// indexes/, decision/, metrics/.
//
// TypeScript 7's compiler has no JavaScript API, so the cruiser parses with swc (`parser: 'swc'`)
// and resolves through tsconfig.json; without both it would find "0 dependencies" and pass.

/** A rule forbidding imports from `from` to `to` (path regexes relative to the repository root). */
const never = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

const ENGINE_ORDER = ['engine/sync/', 'engine/pool/', 'engine/server/', 'engine/routes/', 'engine/http/', 'engine/(indexes|decision|metrics)/'];

module.exports = {
  forbidden: [
    { name: 'no-cycles', comment: 'Modules form a tree: an import cycle is a design knot.', severity: 'error', from: {}, to: { circular: true } },
    never('core-stays-shared', 'core/ is what both programs use: it imports neither of them.', '^core/', '^(engine|syncer|embedded|bench)/'),
    never('engine-not-syncer', 'The engine and the syncer meet only in core/ (and in embedded/).', '^engine/', '^syncer/'),
    never('syncer-not-engine', 'The engine and the syncer meet only in core/ (and in embedded/).', '^syncer/', '^engine/'),
    never('programs-not-joiners', 'embedded/ and bench/ join the programs; the programs never import them.', '^(core|engine|syncer)/', '^(embedded|bench)/'),
    never('programs-not-tests', 'Tests import the source, never the reverse.', '^(core|engine|syncer|embedded|bench)/', '^test/'),
    never('domain-is-pure', 'core/domain holds rules and data: no store, no runtime.', '^core/domain/', '^core/(store|runtime)/'),
    never('errors-import-nothing', 'core/errors.ts is the bottom of every layer.', '^core/errors\\.ts$', '^(core|engine|syncer)/'),
    never('store-not-runtime', 'Storage adapters take their config and logger as arguments.', '^core/store/', '^core/runtime/(config|process|internal-server|respond|uws|port-claim)\\.ts$'),
    // Inside the engine, each layer imports only the ones below it.
    ...ENGINE_ORDER.flatMap((layer, i) =>
      ENGINE_ORDER.slice(0, i).map((above) =>
        never(`engine-${layer.replace(/\W+/g, '-')}-not-up`, `${layer} sits below ${above}`, `^${layer}`, `^${above}`),
      ),
    ),
    never('engine-root-on-top', 'Only the entry and the assembly sit at engine/ root; nothing imports them.', '^engine/.+/', '^engine/[^/]+\\.ts$'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    moduleSystems: ['es6'],
  },
};
