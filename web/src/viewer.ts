/**
 * A 3-D view of a MuJoCo env, drawn with three.js from the model itself: one mesh per geom
 * (plane, sphere, capsule, ellipsoid, cylinder, box from mjModel's geom_type and geom_size),
 * placed every frame from mjData's geom_xpos and geom_xmat. MuJoCo is z-up; the scene's
 * root group turns it into three.js's y-up. Orbit camera following the root body; play/pause.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { make, mujoco, MujocoEnv, Wrapper, type Env } from 'hyperrl/browser';

/** Something that acts in an env: hyperrl's agents and ONNX sessions alike. */
export interface Policy {
  readonly label: string;
  act(obs: Float64Array, out: Float64Array): void | Promise<void>;
}

export interface ViewerStatus { envId: string; policy: string; episode: number; step: number; episodeReturn: number; lastReturn: number | null; playing: boolean; frames: number }

const GEOM = { plane: 0, sphere: 2, capsule: 3, ellipsoid: 4, cylinder: 5, box: 6 } as const;
/** Colours by body, for models whose geoms keep MuJoCo's default grey. */
const PALETTE = [0xe76f51, 0xf4a261, 0x2a9d8f, 0x264653, 0xe9c46a, 0x8ab17d, 0x6d597a, 0xb56576];

function checkerTexture(): THREE.Texture {
  const c = document.createElement('canvas');
  c.width = c.height = 128;
  const g = c.getContext('2d')!;
  g.fillStyle = '#dfe6ee'; g.fillRect(0, 0, 128, 128);
  g.fillStyle = '#c8d2dd'; g.fillRect(0, 0, 64, 64); g.fillRect(64, 64, 64, 64);
  const t = new THREE.CanvasTexture(c);
  t.wrapS = t.wrapT = THREE.RepeatWrapping;
  t.colorSpace = THREE.SRGBColorSpace;
  return t;
}

/** The three.js geometry of geom i, in the geom's own frame (MuJoCo's axis of capsules and cylinders is z). */
function geometryOf(type: number, size: ArrayLike<number>): THREE.BufferGeometry | null {
  switch (type) {
    case GEOM.plane: {
      const sx = size[0] || 50, sy = size[1] || 50;
      return new THREE.PlaneGeometry(2 * sx, 2 * sy);
    }
    case GEOM.sphere: return new THREE.SphereGeometry(size[0]!, 24, 16);
    case GEOM.ellipsoid: return new THREE.SphereGeometry(1, 24, 16).scale(size[0]!, size[1]!, size[2]!);
    case GEOM.capsule: return new THREE.CapsuleGeometry(size[0]!, 2 * size[1]!, 8, 16).rotateX(Math.PI / 2);
    case GEOM.cylinder: return new THREE.CylinderGeometry(size[0]!, size[0]!, 2 * size[1]!, 24).rotateX(Math.PI / 2);
    case GEOM.box: return new THREE.BoxGeometry(2 * size[0]!, 2 * size[1]!, 2 * size[2]!);
    default: return null; // heightfields and meshes: none in the bundled tasks
  }
}

export class MujocoViewer {
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(45, 1, 0.05, 200);
  private readonly controls: OrbitControls;
  private readonly world = new THREE.Group();
  private meshes: (THREE.Mesh | null)[] = [];
  /** The env as made (with its time limit) and the simulation inside it. */
  private envWrapper: Env | null = null;
  private env: MujocoEnv | null = null;
  private policy: Policy | null = null;
  private obs = new Float64Array(0);
  private action = new Float64Array(0);
  private pending = false;
  private accumulated = 0;
  private lastTime = 0;
  /** Whether the picture changed since the last render (a paused viewer renders only then). */
  private dirty = true;
  private readonly followed = new THREE.Vector3();
  private readonly sun: THREE.DirectionalLight;
  readonly status: ViewerStatus = { envId: '', policy: '', episode: 0, step: 0, episodeReturn: 0, lastReturn: null, playing: true, frames: 0 };
  onStatus: (status: ViewerStatus) => void = () => {};

  constructor(private readonly canvas: HTMLCanvasElement) {
    // preserveDrawingBuffer: screenshots (and the browser test's pixel check) read the last frame.
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.shadowMap.enabled = true;
    this.renderer.setPixelRatio(window.devicePixelRatio);
    this.scene.background = new THREE.Color(0xf3f6fa);
    this.scene.fog = new THREE.Fog(0xf3f6fa, 12, 40);
    this.world.rotation.x = -Math.PI / 2;
    this.scene.add(this.world);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8d99ae, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 2.2);
    sun.position.set(3, 6, 4);
    sun.castShadow = true;
    sun.shadow.mapSize.set(2048, 2048);
    Object.assign(sun.shadow.camera, { left: -4, right: 4, top: 4, bottom: -4 });
    this.scene.add(sun, sun.target);
    this.sun = sun;
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = true;
    this.controls.addEventListener('change', () => (this.dirty = true));
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
    this.renderer.setAnimationLoop((t) => this.frame(t));
  }

  /** Show `envId` driven by `policy` (null: uniformly random actions). */
  async show(envId: string, policy: Policy | null): Promise<void> {
    const env: Env = await make(envId);
    const simulation = env instanceof Wrapper ? env.unwrapped : env;
    if (!(simulation instanceof MujocoEnv)) throw new Error(`${envId} is not a MuJoCo env; the viewer draws MuJoCo models`);
    this.envWrapper?.close();
    this.envWrapper = env;
    this.env = simulation;
    this.policy = policy;
    this.obs = new Float64Array(env.observationSpace.size);
    this.action = new Float64Array(env.actionSpace.size);
    this.buildScene();
    Object.assign(this.status, { envId, policy: policy?.label ?? 'random actions', episode: 0, step: 0, episodeReturn: 0, lastReturn: null, playing: true });
    this.resetEpisode();
    const root = this.rootPosition();
    this.followed.copy(root);
    this.controls.target.copy(root);
    this.camera.position.copy(root).add(new THREE.Vector3(0.75, 0.55, 2.1));
  }

  setPlaying(playing: boolean): void {
    this.status.playing = playing;
    this.onStatus(this.status);
  }

  resetEpisode(): void {
    if (this.envWrapper === null) return;
    this.obs.set(this.envWrapper.reset({ seed: this.status.episode }).obs as ArrayLike<number>);
    this.status.step = 0;
    this.status.episodeReturn = 0;
    this.sync();
  }

  private buildScene(): void {
    for (const m of this.meshes) if (m !== null) { this.world.remove(m); m.geometry.dispose(); (m.material as THREE.Material).dispose(); }
    const model = this.env!.model;
    const types = model.geom_type as Int32Array, sizes = model.geom_size as Float64Array, rgba = model.geom_rgba as Float32Array;
    const bodies = model.geom_bodyid as Int32Array;
    const floor = checkerTexture();
    this.meshes = Array.from({ length: model.ngeom }, (_, i) => {
      const geometry = geometryOf(types[i]!, sizes.subarray(3 * i, 3 * i + 3));
      if (geometry === null || rgba[4 * i + 3] === 0) return null;
      const isDefaultGrey = rgba[4 * i] === 0.5 && rgba[4 * i + 1] === 0.5 && rgba[4 * i + 2] === 0.5;
      let material: THREE.Material;
      if (types[i] === GEOM.plane) {
        const texture = floor.clone();
        const { width, height } = (geometry as THREE.PlaneGeometry).parameters;
        texture.repeat.set(width / 2, height / 2);
        material = new THREE.MeshStandardMaterial({ map: texture, roughness: 0.95 });
      } else {
        const color = isDefaultGrey ? new THREE.Color(PALETTE[bodies[i]! % PALETTE.length]!) : new THREE.Color(rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!);
        material = new THREE.MeshStandardMaterial({ color, roughness: 0.45, metalness: 0.1 });
      }
      const mesh = new THREE.Mesh(geometry, material);
      mesh.matrixAutoUpdate = false;
      mesh.castShadow = types[i] !== GEOM.plane;
      mesh.receiveShadow = true;
      this.world.add(mesh);
      return mesh;
    });
  }

  /** Place every mesh from mjData (after updating the kinematics of the current state). */
  private sync(): void {
    const env = this.env!;
    mujoco().mj_kinematics(env.model, env.data);
    const xpos = env.data.geom_xpos as Float64Array, xmat = env.data.geom_xmat as Float64Array;
    const m = new THREE.Matrix4();
    this.meshes.forEach((mesh, i) => {
      if (mesh === null) return;
      const r = xmat.subarray(9 * i, 9 * i + 9), p = xpos.subarray(3 * i, 3 * i + 3);
      m.set(r[0]!, r[1]!, r[2]!, p[0]!, r[3]!, r[4]!, r[5]!, p[1]!, r[6]!, r[7]!, r[8]!, p[2]!, 0, 0, 0, 1);
      mesh.matrix.copy(m);
      mesh.matrixWorldNeedsUpdate = true;
    });
    this.dirty = true;
  }

  /** World position of the first body below the world (the robot's root). */
  private rootPosition(): THREE.Vector3 {
    const x = this.env!.data.xpos as Float64Array;
    const body = this.env!.model.nbody > 1 ? 1 : 0;
    return this.world.localToWorld(new THREE.Vector3(x[3 * body]!, x[3 * body + 1]!, x[3 * body + 2]!));
  }

  private async advance(): Promise<void> {
    const env = this.envWrapper!;
    if (this.policy === null) {
      const space = env.actionSpace as unknown as { low: Float64Array | number[]; high: Float64Array | number[] };
      for (let i = 0; i < this.action.length; i++) this.action[i] = space.low[i]! + (space.high[i]! - space.low[i]!) * Math.random();
    } else {
      await this.policy.act(this.obs, this.action);
    }
    const r = env.step(this.action as never);
    this.obs.set(r.obs as ArrayLike<number>);
    this.status.step++;
    this.status.episodeReturn += r.reward;
    if (r.terminated || r.truncated) {
      this.status.lastReturn = this.status.episodeReturn;
      this.status.episode++;
      this.resetEpisode();
    }
  }

  private frame(time: number): void {
    const dt = Math.min(0.1, (time - (this.lastTime || time)) / 1000);
    this.lastTime = time;
    if (this.env !== null && this.status.playing && !this.pending) {
      this.accumulated += dt;
      const stepDt = this.env.dt;
      const steps = Math.min(4, Math.floor(this.accumulated / stepDt));
      if (steps > 0) {
        this.accumulated -= steps * stepDt;
        this.pending = true;
        void (async () => {
          try {
            for (let s = 0; s < steps; s++) await this.advance();
            this.sync();
          } finally {
            this.pending = false;
          }
          this.onStatus(this.status);
        })();
      }
    }
    if (this.env !== null) {
      // Follow the robot: move target and camera by the root body's displacement.
      const root = this.rootPosition();
      const delta = root.clone().sub(this.followed);
      this.followed.copy(root);
      this.controls.target.add(delta);
      this.camera.position.add(delta);
      this.sun.position.set(root.x + 3, root.y + 6, root.z + 4);
      this.sun.target.position.copy(root);
    }
    this.controls.update();
    if (!this.dirty) return;
    this.dirty = false;
    this.renderer.render(this.scene, this.camera);
    this.status.frames++;
  }

  private resize(): void {
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (w === 0 || h === 0) return;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.dirty = true;
  }
}
