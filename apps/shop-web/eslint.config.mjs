import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // The browser loads these modules as they are emitted: no bundler adds the extension.
          selector: 'ImportDeclaration[source.value=/^\\.{1,2}\\//]:not([source.value=/\\.js$/])',
          message:
            'Import sibling modules with their .js extension: the browser resolves no other.',
        },
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through the app config schema, not process.env.',
        },
      ],
    },
  },
];
