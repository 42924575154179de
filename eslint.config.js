// ESLint for the whole repository (`npm run lint`): typescript-eslint's recommended rules, a few of our
// own limits, and import-x/no-cycle so that imports never run in circles (a contract lives in a file of
// its own below its users instead).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX, createNodeResolver } from "eslint-plugin-import-x";

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "max-lines": ["warn", { max: 400, skipBlankLines: true, skipComments: true }],
      "max-depth": ["error", 4],
    },
  },
  {
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      // Only our own .ts files can be part of a cycle: every relative import names its .ts file.
      "import-x/extensions": [".ts"],
      // Node's own resolution is TypeScript's here (module NodeNext, explicit .ts extensions, no `paths`
      // in tsconfig.json), so import-x's built-in resolver finds every import without
      // eslint-import-resolver-typescript; that one is needed once tsconfig.json maps paths.
      "import-x/resolver-next": [createNodeResolver()],
    },
    rules: {
      // ignoreExternal: a package cannot import our files back, and not parsing node_modules keeps lint fast.
      // Note: the rule skips `import type` edges, so a cycle closed only by types is not reported here.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
);
