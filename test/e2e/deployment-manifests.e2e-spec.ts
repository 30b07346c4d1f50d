import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { envSchema } from '../../src/config/app-config';
import { registeredRoutes } from '../../src/common/http/route-registry';
import { startTestApp, TestApp } from '../support/test-app';

const ROOT = join(__dirname, '../..');
const K8S = join(ROOT, 'deploy/kubernetes');

type Manifest = Record<string, any>;

function load(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJSON();
  });
}

const manifests = readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) => load(file).map((m): Manifest => ({ file, ...m })));
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const deployment = byKind('Deployment')[0];
const pod = deployment.spec.template.spec;
const api = pod.containers[0];
const config = byKind('ConfigMap')[0].data as Record<string, string>;

/** What a container ends up running as, pod defaults included. */
const runsAsNonRoot = (podSpec: Manifest, container: Manifest) => {
  const merged = { ...podSpec.securityContext, ...container.securityContext };
  return merged.runAsNonRoot === true && merged.runAsUser !== 0;
};

describe('Kubernetes manifests agree with the code', () => {
  let t: TestApp;
  let getRoutes: Set<string>;

  beforeAll(async () => {
    t = await startTestApp();
    getRoutes = new Set(registeredRoutes(t.app.getHttpAdapter().getInstance()).filter((r) => r.method === 'GET').map((r) => r.url));
  });
  afterAll(() => t.close());

  it('lists only files that exist in the kustomization, and every applied file in it', () => {
    const kustomization = byKind('Kustomization')[0] ?? load('kustomization.yaml')[0];
    for (const resource of kustomization.resources) expect(existsSync(join(K8S, resource))).toBe(true);
    const applied = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && !f.endsWith('.example.yaml'));
    expect([...kustomization.resources].sort()).toEqual(applied.sort());
  });

  it('runs three replicas with resources, a read-only root and no root user', () => {
    expect(deployment.spec.replicas).toBe(3);
    for (const container of pod.containers) {
      expect(runsAsNonRoot(pod, container)).toBe(true);
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(container.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
      expect(container.resources.limits).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
    }
    const job = byKind('Job')[0];
    for (const container of job.spec.template.spec.containers) expect(runsAsNonRoot(job.spec.template.spec, container)).toBe(true);
  });

  it('points every probe at a GET route of the router, on the port the service listens on', () => {
    const port = api.ports.find((p: Manifest) => p.name === 'http').containerPort;
    expect(String(port)).toBe(config.PORT);
    const probes = { startupProbe: '/api/health/startup', livenessProbe: '/api/health/live', readinessProbe: '/api/health/ready' };
    for (const [probe, path] of Object.entries(probes)) {
      expect(api[probe].httpGet.path).toBe(path);
      expect([probe, getRoutes.has(api[probe].httpGet.path)]).toEqual([probe, true]);
      expect(api[probe].httpGet.port).toBe('http');
    }
    expect(getRoutes.has(deployment.spec.template.metadata.annotations['prometheus.io/path'])).toBe(true);
    const service = byKind('Service')[0];
    expect(service.spec.ports[0].targetPort).toBe('http');
  });

  it('names only settings the config schema knows', () => {
    const known = new Set(Object.keys(envSchema.shape));
    const secret = load('secret.example.yaml')[0];
    for (const name of [...Object.keys(config), ...Object.keys(secret.stringData)]) expect([name, known.has(name)]).toEqual([name, true]);
    expect(() => envSchema.parse(config)).not.toThrow();
  });

  it('gives the pod more grace than the preStop delay plus the drain', () => {
    const preStopSeconds = Number(api.lifecycle.preStop.exec.command.at(-1));
    const drainSeconds = Number(config.SHUTDOWN_DRAIN_MS) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + drainSeconds + 10);
  });

  it('runs migrations in the Job only, with a command the build produces', () => {
    expect(config.MIGRATIONS_RUN).toBe('false');
    const job = byKind('Job')[0];
    const [, script] = job.spec.template.spec.containers[0].command;
    expect(existsSync(join(ROOT, 'src', script.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
  });

  it('autoscales the Deployment and keeps two pods through disruptions', () => {
    const hpa = byKind('HorizontalPodAutoscaler')[0];
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(deployment.spec.replicas);
    const pdb = byKind('PodDisruptionBudget')[0];
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('builds an image that runs as a non-root user with a liveness health check', () => {
    const dockerfile = readFileSync(join(ROOT, 'docker/Dockerfile'), 'utf8');
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtimeStage).toMatch(/^USER node$/m);
    expect(runtimeStage).toMatch(/HEALTHCHECK[\s\S]*\/api\/health\/live/);
    expect(getRoutes.has('/api/health/live')).toBe(true);
  });
});
