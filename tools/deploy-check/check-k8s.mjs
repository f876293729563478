#!/usr/bin/env node
// Checks the Kubernetes manifests under deploy/k8s without a cluster.
//   1. every YAML document parses and validates against its Kubernetes schema
//      (kubernetes-models: the class is found from apiVersion and kind; a kind
//      it does not know is an error); kustomization.yaml lists every file
//   2. the project's rules: each Deployment has 2+ replicas, the readiness and
//      liveness probes on /health/ready and /health/live, resource requests, a
//      memory limit, a non-root read-only container, a PodDisruptionBudget and
//      a Service that select its pods, and a drain (SHUTDOWN_DELAY_MS) that
//      outlasts its readiness probe and fits in terminationGracePeriodSeconds;
//      metrics on a container port named `metrics` that is METRICS_PORT, with
//      the prometheus.io/{scrape,port,path} pod annotations, and no Service
//      routing to it (/metrics stays off every public port); no Secret and no literal secret value anywhere, and every Secret key
//      the manifests read is one docs/scaling.md tells the operator to create;
//      per service of topology.json, a Deployment and a Service of its name on
//      its port and metrics port, and the URLs of the services it calls
//   3. that it can fail: broken variants of the same documents, made in
//      memory, must each be rejected for the expected reason
// Usage: node tools/deploy-check/check-k8s.mjs [dir]. Exit 1 when anything fails.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import YAML from 'yaml';
import topology from '../topology.cjs';

const require = createRequire(import.meta.url);
const dir = resolve(process.argv[2] ?? 'deploy/k8s');

/** Seconds a service gives in-flight requests after the drain (SHUTDOWN_GRACE_MS in util-http). */
const IN_FLIGHT_GRACE_S = 10;
const SECRET_NAME =
  /SECRET|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|^DATABASE_URL$|^REDIS_URL$|^SMTP_URL$|_KEY$/i;
const SECRET_VALUE = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a PEM private key'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, 'a URL with a password'],
];

/** The kubernetes-models class for a document, or an error message. */
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Z]\w*$/.test(kind)) {
    return { error: 'no apiVersion/kind' };
  }
  try {
    const Model = require(`kubernetes-models/${apiVersion}/${kind}`)[kind];
    if (typeof Model === 'function') return { Model };
  } catch {
    // fall through: not a kind kubernetes-models knows
  }
  return { error: `unknown kind ${apiVersion} ${kind}` };
}

/** Parses the files' YAML documents: [{ file, index, doc }], errors pushed. */
function parse(files, errors) {
  const docs = [];
  for (const { name, text } of files) {
    for (const [pattern, what] of SECRET_VALUE) {
      if (pattern.test(text)) errors.push(`${name}: contains ${what}`);
    }
    YAML.parseAllDocuments(text).forEach((document, index) => {
      if (document.errors.length > 0) {
        errors.push(`${name}#${index}: ${document.errors.map(String).join('; ')}`);
        return;
      }
      const doc = document.toJS();
      if (doc !== null && doc !== undefined) docs.push({ file: name, index, doc });
    });
  }
  return docs;
}

const labelsMatch = (selector, labels) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

/** The environment a container gets from `env` values and envFrom ConfigMaps. */
function plainEnvironment(container, configMaps) {
  const env = {};
  for (const source of container.envFrom ?? []) {
    const data = configMaps.get(source.configMapRef?.name)?.data;
    Object.assign(env, data ?? {});
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = entry.value;
  }
  return env;
}

function checkDeployment(where, deployment, byKind, configMaps, errors) {
  const fail = (message) =>
    errors.push(`${where} Deployment ${deployment.metadata?.name}: ${message}`);
  const spec = deployment.spec ?? {};
  const pod = spec.template?.spec ?? {};
  const labels = spec.template?.metadata?.labels ?? {};
  if (!((spec.replicas ?? 1) >= 2)) fail('fewer than 2 replicas');
  if (!labelsMatch(spec.selector?.matchLabels, labels)) fail('selector does not match its pods');

  const pdb = byKind('PodDisruptionBudget').find((d) =>
    labelsMatch(d.spec?.selector?.matchLabels, labels),
  );
  if (!pdb) fail('no PodDisruptionBudget selects its pods');
  else if (pdb.spec.maxUnavailable === undefined && pdb.spec.minAvailable === undefined) {
    fail(`PodDisruptionBudget ${pdb.metadata?.name} sets neither maxUnavailable nor minAvailable`);
  }
  const containerPorts = new Map(
    (pod.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => [p.name, p.containerPort])),
  );
  const metricsPort = containerPorts.get('metrics');
  const service = byKind('Service').find((d) => labelsMatch(d.spec?.selector, labels));
  if (!service) fail('no Service selects its pods');
  else {
    for (const port of service.spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      const known =
        typeof target === 'string'
          ? containerPorts.has(target)
          : [...containerPorts.values()].includes(target);
      if (!known)
        fail(
          `Service ${service.metadata?.name} targets port ${target}, which no container declares`,
        );
      if (target === 'metrics' || (metricsPort !== undefined && target === metricsPort))
        fail(`Service ${service.metadata?.name} routes the metrics port: scrape the pods instead`);
    }
  }
  const annotations = spec.template?.metadata?.annotations ?? {};
  if (metricsPort === undefined) fail('no container port named metrics');
  else {
    for (const [key, expected] of [
      ['prometheus.io/scrape', 'true'],
      ['prometheus.io/port', String(metricsPort)],
      ['prometheus.io/path', '/metrics'],
    ]) {
      if (annotations[key] !== expected)
        fail(`pod annotation ${key} is ${JSON.stringify(annotations[key])}, not "${expected}"`);
    }
  }

  const podSecurity = pod.securityContext ?? {};
  if ((pod.containers ?? []).length === 0) fail('no container');
  for (const container of pod.containers ?? []) {
    const cfail = (message) => fail(`container ${container.name}: ${message}`);
    for (const [probe, path] of [
      ['readinessProbe', '/health/ready'],
      ['livenessProbe', '/health/live'],
    ]) {
      const get = container[probe]?.httpGet;
      if (!get) cfail(`no ${probe}`);
      else {
        if (get.path !== path) cfail(`${probe} on ${get.path}, not ${path}`);
        const named =
          typeof get.port === 'string'
            ? containerPorts.has(get.port)
            : [...containerPorts.values()].includes(get.port);
        if (!named) cfail(`${probe} port ${get.port} is not a container port`);
      }
    }
    const requests = container.resources?.requests ?? {};
    if (!requests.cpu || !requests.memory) cfail('resource requests need cpu and memory');
    if (!container.resources?.limits?.memory) cfail('no memory limit');
    const security = container.securityContext ?? {};
    if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true)
      cfail('runAsNonRoot is not true');
    if ((security.runAsUser ?? podSecurity.runAsUser) === 0) cfail('runs as uid 0');
    if (security.readOnlyRootFilesystem !== true) cfail('root filesystem is not read-only');
    if (security.allowPrivilegeEscalation !== false) cfail('allowPrivilegeEscalation is not false');
    for (const source of container.envFrom ?? []) {
      const name = source.configMapRef?.name;
      if (name !== undefined && !configMaps.has(name))
        cfail(`envFrom ConfigMap ${name} is not defined here`);
    }
    for (const entry of container.env ?? []) {
      if (entry.value !== undefined && SECRET_NAME.test(entry.name)) {
        cfail(`${entry.name} is a literal value: take it from a Secret (secretKeyRef)`);
      }
    }

    const env = plainEnvironment(container, configMaps);
    if (metricsPort !== undefined && Number(env.METRICS_PORT) !== metricsPort) {
      cfail(`METRICS_PORT ${env.METRICS_PORT} is not its metrics container port ${metricsPort}`);
    }

    // The drain: readiness must fail before the port closes, and SIGKILL
    // must wait for the drain plus the in-flight grace.
    const delayMs = Number(env.SHUTDOWN_DELAY_MS ?? 0);
    const readiness = container.readinessProbe ?? {};
    const probeMs = (readiness.periodSeconds ?? 10) * (readiness.failureThreshold ?? 3) * 1000;
    if (!(delayMs >= probeMs)) {
      cfail(
        `SHUTDOWN_DELAY_MS ${delayMs} is shorter than the readiness probe takes to fail (${probeMs} ms)`,
      );
    }
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (!(grace >= delayMs / 1000 + IN_FLIGHT_GRACE_S)) {
      cfail(
        `terminationGracePeriodSeconds ${grace} < SHUTDOWN_DELAY_MS/1000 + ${IN_FLIGHT_GRACE_S}`,
      );
    }
  }
}

/**
 * The manifests against topology.json: per service, a Deployment of its name
 * whose containers listen on its port (container port `http`, PORT) and serve
 * metrics on its metrics port, a Service of its name on its port, and the URL
 * of each service it calls at `http://<that service>:<its port>`.
 */
function checkTopology(byKind, configMaps, errors) {
  const named = (kind, name) => byKind(kind).find((d) => d.metadata?.name === name);
  for (const service of topology.SERVICES) {
    const fail = (message) => errors.push(`topology.json ${service.name}: ${message}`);
    const deployment = named('Deployment', service.name);
    if (!deployment) {
      fail('no Deployment of that name');
      continue;
    }
    const expected = { http: service.port, metrics: service.metricsPort };
    for (const container of deployment.spec?.template?.spec?.containers ?? []) {
      const ports = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
      for (const [name, port] of Object.entries(expected)) {
        if (ports.get(name) !== port)
          fail(`container ${container.name} port ${name} is ${ports.get(name)}, not ${port}`);
      }
      const env = plainEnvironment(container, configMaps);
      if (Number(env.PORT) !== service.port) fail(`PORT ${env.PORT} is not ${service.port}`);
      for (const callee of service.calls.map(topology.service)) {
        const url = `http://${callee.name}:${callee.port}`;
        if (env[callee.urlVariable] !== url)
          fail(`${callee.urlVariable} ${env[callee.urlVariable]} is not ${url}`);
      }
    }
    const ports = (named('Service', service.name)?.spec?.ports ?? []).map((p) => p.port);
    if (!ports.includes(service.port)) fail(`no Service ${service.name} on port ${service.port}`);
  }
}

/**
 * The Secrets and keys the operator is told to create: `kubectl create secret
 * generic <name> --from-literal=<KEY>=… --from-file=<key>` in the docs.
 */
export function documentedSecrets(markdown) {
  const secrets = new Map();
  const commands = markdown
    .replace(/\\\n/g, ' ')
    .matchAll(/kubectl create secret generic (\S+)([^\n]*)/g);
  for (const [, name, rest] of commands) {
    const keys = [...rest.matchAll(/--from-(?:literal|file)=([^=\s]+)/g)].map((m) =>
      m[1].split('/').pop(),
    );
    secrets.set(name, new Set([...(secrets.get(name) ?? []), ...keys]));
  }
  return secrets;
}

/** Every Secret key a pod template reads: [{ secret, key, where }]. */
function secretReferences(pod) {
  const refs = [];
  for (const container of pod.containers ?? []) {
    for (const entry of container.env ?? []) {
      const ref = entry.valueFrom?.secretKeyRef;
      if (ref) refs.push({ secret: ref.name, key: ref.key, where: `env ${entry.name}` });
    }
  }
  for (const volume of pod.volumes ?? []) {
    for (const item of volume.secret?.items ?? []) {
      refs.push({
        secret: volume.secret.secretName,
        key: item.key,
        where: `volume ${volume.name}`,
      });
    }
    // A projected volume: several Secrets' files in one directory (DATA_DIR).
    for (const source of volume.projected?.sources ?? []) {
      for (const item of source.secret?.items ?? []) {
        refs.push({ secret: source.secret.name, key: item.key, where: `volume ${volume.name}` });
      }
    }
  }
  return refs;
}

/**
 * Every check over a set of files ({ name, text }); returns the errors.
 * `secrets` (from documentedSecrets) are the Secrets an operator creates.
 */
export function check(files, secrets = new Map()) {
  const errors = [];
  const docs = parse(files, errors);
  const all = (kind) => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
  const configMaps = new Map(all('ConfigMap').map((d) => [d.metadata?.name, d]));

  for (const { file, index, doc } of docs) {
    const where = `${file}#${index}`;
    if (
      doc.kind === 'Kustomization' &&
      String(doc.apiVersion).startsWith('kustomize.config.k8s.io/')
    ) {
      const listed = new Set(doc.resources ?? []);
      for (const resource of listed) {
        if (!files.some((f) => f.name === resource))
          errors.push(`${where}: resource ${resource} does not exist`);
      }
      for (const other of files) {
        if (other.name !== file && !listed.has(other.name))
          errors.push(`${where}: ${other.name} is not listed`);
      }
      continue;
    }
    const { Model, error } = modelFor(doc.apiVersion, doc.kind);
    if (error) {
      errors.push(`${where}: ${error}`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (invalid) {
      errors.push(`${where} ${doc.kind} ${doc.metadata?.name}: ${invalid.message}`);
    }
    if (doc.kind === 'Secret') {
      errors.push(
        `${where}: a Secret in the repository; the operator creates Secrets (docs/scaling.md)`,
      );
    }
    if (doc.kind === 'ConfigMap') {
      for (const key of Object.keys({ ...doc.data, ...doc.binaryData })) {
        if (SECRET_NAME.test(key))
          errors.push(`${where} ConfigMap ${doc.metadata?.name}: ${key} belongs in a Secret`);
      }
    }
    if (doc.kind === 'Deployment') {
      checkDeployment(where, doc, all, configMaps, errors);
      for (const { secret, key, where: from } of secretReferences(doc.spec?.template?.spec ?? {})) {
        if (!secrets.get(secret)?.has(key)) {
          errors.push(
            `${where} Deployment ${doc.metadata?.name}: ${from} reads Secret ${secret} key ${key}, which docs/scaling.md does not tell the operator to create`,
          );
        }
      }
    }
  }
  if (!docs.some((d) => d.doc.kind === 'Deployment')) errors.push('no Deployment found');
  else checkTopology(all, configMaps, errors);
  return errors;
}

/** Broken variants of the real files, each of which must be rejected. */
function mutations(files) {
  const edit = (name, change) =>
    files.map((f) => {
      if (f.name !== name) return f;
      const docs = YAML.parseAllDocuments(f.text).map((d) => d.toJS());
      change(docs);
      return { name, text: docs.map((d) => YAML.stringify(d)).join('---\n') };
    });
  const deploymentFile = files.find((f) => /kind:\s*Deployment\b/.test(f.text))?.name;
  const configFile = files.find((f) => /kind:\s*ConfigMap\b/.test(f.text))?.name;
  const deployment = (docs) => docs.find((d) => d?.kind === 'Deployment');
  const withSecretRef = (docs) =>
    deployment(docs).spec.template.spec.containers[0].env.find((e) => e.valueFrom?.secretKeyRef);
  const container = (docs) => deployment(docs).spec.template.spec.containers[0];
  const service = (docs) => docs.find((d) => d?.kind === 'Service');
  const podAnnotations = (docs) => (deployment(docs).spec.template.metadata.annotations ??= {});
  return [
    [
      'a probe without a port (schema)',
      'readinessProbe/httpGet must have required property',
      edit(deploymentFile, (d) => delete container(d).readinessProbe.httpGet.port),
    ],
    [
      'replicas as a string (schema)',
      'replicas must be integer',
      edit(deploymentFile, (d) => (deployment(d).spec.replicas = 'two')),
    ],
    [
      'an unknown kind',
      'unknown kind',
      edit(deploymentFile, (d) => (deployment(d).kind = 'Deploymnet')),
    ],
    [
      'no readiness probe',
      'no readinessProbe',
      edit(deploymentFile, (d) => delete container(d).readinessProbe),
    ],
    [
      'liveness on the readiness path',
      'livenessProbe on /health/ready',
      edit(deploymentFile, (d) => (container(d).livenessProbe.httpGet.path = '/health/ready')),
    ],
    [
      'no resource requests',
      'resource requests',
      edit(deploymentFile, (d) => delete container(d).resources.requests),
    ],
    [
      'a writable root filesystem',
      'root filesystem',
      edit(deploymentFile, (d) => (container(d).securityContext.readOnlyRootFilesystem = false)),
    ],
    [
      'no PodDisruptionBudget',
      'no PodDisruptionBudget',
      edit(deploymentFile, (d) =>
        d.splice(
          d.findIndex((x) => x?.kind === 'PodDisruptionBudget'),
          1,
        ),
      ),
    ],
    [
      'no Service',
      'no Service selects',
      edit(deploymentFile, (d) =>
        d.splice(
          d.findIndex((x) => x?.kind === 'Service'),
          1,
        ),
      ),
    ],
    [
      'a grace period shorter than the drain',
      'terminationGracePeriodSeconds',
      edit(
        deploymentFile,
        (d) => (deployment(d).spec.template.spec.terminationGracePeriodSeconds = 5),
      ),
    ],
    [
      'a Service routing the metrics port',
      'routes the metrics port',
      edit(deploymentFile, (d) =>
        service(d).spec.ports.push({ name: 'metrics', port: 9000, targetPort: 'metrics' }),
      ),
    ],
    [
      'no metrics container port',
      'no container port named metrics',
      edit(deploymentFile, (d) => {
        container(d).ports = container(d).ports.filter((p) => p.name !== 'metrics');
      }),
    ],
    [
      'pods not marked for scraping',
      'prometheus.io/scrape',
      edit(deploymentFile, (d) => delete podAnnotations(d)['prometheus.io/scrape']),
    ],
    [
      'a scrape annotation on another port',
      'prometheus.io/port',
      edit(
        deploymentFile,
        (d) =>
          (podAnnotations(d)['prometheus.io/port'] = String(
            topology.service(deployment(d).metadata.name).port,
          )),
      ),
    ],
    [
      'a container port apart from topology.json',
      'topology.json',
      edit(deploymentFile, (d) => {
        container(d).ports.find((p) => p.name === 'http').containerPort += 1;
      }),
    ],
    [
      'METRICS_PORT apart from the metrics container port',
      'is not its metrics container port',
      edit(configFile, (d) => {
        for (const map of d.filter((x) => x?.kind === 'ConfigMap')) {
          if (map.data.METRICS_PORT !== undefined) map.data.METRICS_PORT = '9999';
        }
      }),
    ],
    [
      'a literal secret in env',
      'is a literal value',
      edit(deploymentFile, (d) =>
        container(d).env.push({
          name: 'KEY_ENCRYPTION_SECRET',
          value: 'not-a-real-secret-but-literal-0123456789',
        }),
      ),
    ],
    [
      'a secret key in a ConfigMap',
      'belongs in a Secret',
      edit(
        configFile,
        (d) => (d.find((x) => x?.kind === 'ConfigMap').data.DATABASE_URL = 'postgres://db/svt'),
      ),
    ],
    [
      'a password in a URL',
      'a URL with a password',
      edit(
        configFile,
        (d) =>
          (d.find((x) => x?.kind === 'ConfigMap').data.UPSTREAM =
            'redis://user:hunter2@redis:6379'),
      ),
    ],
    [
      'a Secret key nobody is told to create',
      'does not tell the operator to create',
      edit(deploymentFile, (d) => (withSecretRef(d).valueFrom.secretKeyRef.key = 'UNDOCUMENTED')),
    ],
    [
      'a Secret document',
      'a Secret in the repository',
      [
        ...files,
        {
          name: 'secret.yaml',
          text: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n',
        },
      ],
    ],
  ];
}

function main() {
  const files = readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
  let failed = false;
  const secrets = documentedSecrets(
    readFileSync(join(dir, '..', '..', 'docs', 'scaling.md'), 'utf8'),
  );
  const errors = check(files, secrets);
  const documents = files.reduce((n, f) => n + YAML.parseAllDocuments(f.text).length, 0);
  if (errors.length > 0) {
    failed = true;
    for (const error of errors) process.stdout.write(`FAIL ${error}\n`);
  } else {
    process.stdout.write(
      `ok   ${documents} documents in ${files.length} files under ${basename(dir)}/ are valid\n`,
    );
  }
  for (const [what, expected, broken] of mutations(files)) {
    const found = check(broken, secrets);
    if (found.some((e) => e.includes(expected))) process.stdout.write(`ok   rejects ${what}\n`);
    else {
      failed = true;
      process.stdout.write(
        `FAIL accepted ${what} (expected an error with "${expected}"; got: ${found.join(' | ') || 'none'})\n`,
      );
    }
  }
  process.exit(failed ? 1 : 0);
}

main();
