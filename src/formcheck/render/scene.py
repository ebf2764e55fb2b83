"""Offscreen OpenGL drawing of the body, a floor with a mat, a back wall and a soft floor shadow,
through moderngl on a headless EGL context (software llvmpipe is enough).

This is the only module that imports moderngl, and it does so lazily in :class:`SceneRenderer`
so the rest of formcheck (and the truth maths) works without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.errors import FormcheckError

from .bodies import BodySurface
from .camera import Camera

INSTALL_HINT = (
    "install the renderer's dependencies: `apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri` "
    "and `pip install formcheck[render]`"
)


class RenderUnavailableError(FormcheckError):
    """moderngl or a headless EGL/OpenGL driver is missing, so nothing can be rendered."""


@dataclass(frozen=True)
class Appearance:
    """Colours (linear RGB in [0, 1]) and lighting of one clip.

    Attributes:
        materials: material name -> RGB.
        floor, floor_pattern: floor colour and pattern (0 plain, 1 planks, 2 tiles).
        mat: exercise-mat colour; None for no mat.
        wall, wall_accent: back-wall colour and the colour of the frames and skirting on it.
        light_dir: unit vector toward the key light (world, Y up).
        light, ambient: key-light and ambient intensities.
        noise: standard deviation of the sensor noise added to each frame (0-255 scale).
    """

    materials: dict[str, tuple[float, float, float]]
    floor: tuple[float, float, float]
    floor_pattern: int
    mat: tuple[float, float, float] | None
    wall: tuple[float, float, float]
    wall_accent: tuple[float, float, float]
    light_dir: tuple[float, float, float]
    light: float
    ambient: float
    noise: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Appearance:
        def pick(options):
            return tuple(float(c) for c in options[rng.integers(len(options))])

        skin = pick([(0.93, 0.76, 0.64), (0.85, 0.64, 0.5), (0.7, 0.5, 0.36), (0.48, 0.33, 0.23),
                     (0.33, 0.22, 0.15), (0.96, 0.83, 0.72)])
        shirt = pick([(0.15, 0.35, 0.75), (0.8, 0.15, 0.15), (0.2, 0.6, 0.3), (0.85, 0.85, 0.85),
                      (0.12, 0.12, 0.14), (0.9, 0.55, 0.1), (0.55, 0.25, 0.6), (0.2, 0.65, 0.7)])
        pants = pick([(0.1, 0.1, 0.12), (0.2, 0.22, 0.35), (0.35, 0.35, 0.38), (0.15, 0.25, 0.45),
                      (0.45, 0.3, 0.2), (0.6, 0.6, 0.62)])
        hair = pick([(0.08, 0.06, 0.05), (0.25, 0.15, 0.08), (0.55, 0.4, 0.2), (0.12, 0.1, 0.1),
                     (0.6, 0.6, 0.6)])
        shoes = pick([(0.9, 0.9, 0.9), (0.1, 0.1, 0.1), (0.3, 0.3, 0.6), (0.7, 0.2, 0.2)])
        floor = pick([(0.55, 0.38, 0.22), (0.7, 0.55, 0.38), (0.45, 0.45, 0.48), (0.75, 0.72, 0.68),
                      (0.35, 0.25, 0.18)])
        mat = pick([(0.2, 0.45, 0.6), (0.55, 0.2, 0.45), (0.3, 0.5, 0.3), (0.25, 0.25, 0.28),
                    (0.6, 0.5, 0.3)])
        wall = pick([(0.85, 0.85, 0.8), (0.75, 0.8, 0.85), (0.9, 0.85, 0.75), (0.6, 0.65, 0.6),
                     (0.8, 0.75, 0.8), (0.5, 0.55, 0.62)])
        az, el = rng.uniform(0, 2 * np.pi), rng.uniform(np.radians(35), np.radians(75))
        light_dir = (np.cos(el) * np.cos(az), np.sin(el), np.cos(el) * np.sin(az))
        return cls(
            materials={
                "skin": skin, "shirt": shirt, "pants": pants, "hair": hair, "shoes": shoes,
                "eye_white": (0.92, 0.92, 0.9), "eye_dark": (0.05, 0.04, 0.04),
                "lips": (skin[0] * 0.7, skin[1] * 0.4, skin[2] * 0.4),
            },
            floor=floor,
            floor_pattern=int(rng.integers(3)),
            mat=mat if rng.uniform() < 0.7 else None,
            wall=wall,
            wall_accent=pick([(0.95, 0.95, 0.95), (0.3, 0.25, 0.2), (0.5, 0.3, 0.2), (0.2, 0.3, 0.5)]),
            light_dir=tuple(float(v) for v in light_dir),
            light=float(rng.uniform(0.55, 0.85)),
            ambient=float(rng.uniform(0.35, 0.55)),
            noise=float(rng.uniform(0.5, 2.5)),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "materials": {k: [round(c, 3) for c in v] for k, v in self.materials.items()},
            "floor": [round(c, 3) for c in self.floor],
            "floor_pattern": self.floor_pattern,
            "mat": None if self.mat is None else [round(c, 3) for c in self.mat],
            "wall": [round(c, 3) for c in self.wall],
            "light_dir": [round(c, 3) for c in self.light_dir],
            "light": round(self.light, 3),
            "ambient": round(self.ambient, 3),
            "noise": round(self.noise, 3),
        }


def _quad(corner: np.ndarray, ex: np.ndarray, ey: np.ndarray, normal, color, kind: float):
    """Two triangles: rows of position, normal, colour, kind (12 floats)."""
    p = [corner, corner + ex, corner + ex + ey, corner, corner + ex + ey, corner + ey]
    return np.array([[*q, *normal, *color, kind] for q in p], dtype="f4")


_VERT = """
#version 330
uniform mat4 view_proj;
in vec3 in_pos; in vec3 in_norm; in vec3 in_col; in float in_kind;
out vec3 v_pos; out vec3 v_norm; out vec3 v_col; out float v_kind;
void main() {
    v_pos = in_pos; v_norm = in_norm; v_col = in_col; v_kind = in_kind;
    gl_Position = view_proj * vec4(in_pos, 1.0);
}
"""

_FRAG = """
#version 330
uniform vec3 light_dir; uniform float light; uniform float ambient; uniform vec3 eye;
uniform int floor_pattern; uniform mat4 shadow_mat; uniform sampler2D shadow_tex;
uniform vec3 mat_color; uniform vec4 mat_rect; uniform int has_mat;
in vec3 v_pos; in vec3 v_norm; in vec3 v_col; in float v_kind;
out vec4 frag;
float hash(vec2 p) { return fract(sin(dot(p, vec2(127.1, 311.7))) * 43758.5453); }
void main() {
    vec3 n = normalize(v_norm);
    vec3 col = v_col;
    float shade = 1.0;
    if (v_kind > 0.5 && v_kind < 1.5) {  // floor
        vec2 q = v_pos.xz;
        if (floor_pattern == 1) {
            float plank = floor(q.x / 0.18);
            col *= 0.85 + 0.25 * hash(vec2(plank, floor((q.y + plank * 0.7) / 1.2)));
            if (fract(q.x / 0.18) < 0.03) col *= 0.6;
        } else if (floor_pattern == 2) {
            vec2 c = floor(q / 0.5);
            col *= (mod(c.x + c.y, 2.0) < 0.5) ? 1.0 : 0.82;
            vec2 f = fract(q / 0.5);
            if (f.x < 0.02 || f.y < 0.02) col *= 0.7;
        }
        if (has_mat == 1 && q.x > mat_rect.x && q.x < mat_rect.z && q.y > mat_rect.y && q.y < mat_rect.w) {
            col = mat_color;
        }
        vec4 s = shadow_mat * vec4(v_pos, 1.0);
        vec2 uv = s.xy * 0.5 + 0.5;
        float occ = 0.0;
        for (int i = -1; i <= 1; i++) for (int j = -1; j <= 1; j++)
            occ += texture(shadow_tex, uv + vec2(i, j) / 256.0).r;
        shade = 1.0 - 0.55 * occ / 9.0;
    }
    vec3 l = normalize(light_dir);
    float diff = max(dot(n, l), 0.0);
    float hemi = 0.6 + 0.4 * n.y;
    vec3 h = normalize(l + normalize(eye - v_pos));
    float spec = (v_kind < 0.5) ? 0.12 * pow(max(dot(n, h), 0.0), 24.0) : 0.0;
    vec3 lit = col * (ambient * hemi + light * diff * shade) + spec;
    lit *= (v_kind > 0.5) ? mix(1.0, shade, 0.6) : 1.0;
    frag = vec4(pow(clamp(lit, 0.0, 1.0), vec3(1.0 / 2.2)), 1.0);
}
"""

_SHADOW_VERT = """
#version 330
uniform mat4 shadow_mat;
in vec3 in_pos;
void main() { gl_Position = shadow_mat * vec4(in_pos, 1.0); }
"""
_SHADOW_FRAG = """
#version 330
out vec4 frag;
void main() { frag = vec4(1.0); }
"""


def _shadow_matrix(light_dir: np.ndarray, center: np.ndarray, half: float) -> np.ndarray:
    """Maps world points to [-1, 1]^2 shadow-texture coordinates: slide each point along the
    light direction down to the floor (``p - (p_y / l_y) * l``), then scale the floor square of
    half-size ``half`` around ``center`` to [-1, 1]."""
    light = light_dir / np.linalg.norm(light_dir)
    to_floor = np.eye(4)
    to_floor[0, 1] = -light[0] / light[1]
    to_floor[2, 1] = -light[2] / light[1]
    to_floor[1, 1] = 0.0
    to_uv = np.zeros((4, 4))
    to_uv[0, 0], to_uv[0, 3] = 1.0 / half, -center[0] / half
    to_uv[1, 2], to_uv[1, 3] = 1.0 / half, -center[2] / half
    to_uv[3, 3] = 1.0
    return to_uv @ to_floor


class SceneRenderer:
    """Renders frames of one clip. Use as a context manager (releases the GL context).

    Args:
        width, height: image size.
        appearance: colours and lighting.
        mat_rect: (x0, z0, x1, z1) of the exercise mat on the floor, world metres.
        wall: (point, normal) of the back wall, or None.
    """

    def __init__(
        self,
        width: int,
        height: int,
        appearance: Appearance,
        mat_rect: tuple[float, float, float, float],
        wall: tuple[np.ndarray, np.ndarray] | None,
    ) -> None:
        try:
            import moderngl
        except ImportError as exc:
            raise RenderUnavailableError(f"moderngl is not installed ({exc}); {INSTALL_HINT}") from exc
        try:
            self.ctx = moderngl.create_standalone_context(backend="egl")
        except Exception as exc:  # moderngl/glcontext raise plain Exception subclasses
            raise RenderUnavailableError(
                f"no headless OpenGL context ({str(exc).splitlines()[0] if str(exc) else exc}); "
                f"{INSTALL_HINT}"
            ) from exc
        self._mgl = moderngl
        self.width, self.height = width, height
        self.app = appearance
        self.mat_rect = mat_rect
        ctx = self.ctx
        self.prog = ctx.program(vertex_shader=_VERT, fragment_shader=_FRAG)
        self.shadow_prog = ctx.program(vertex_shader=_SHADOW_VERT, fragment_shader=_SHADOW_FRAG)
        self.fbo = ctx.simple_framebuffer((width, height), samples=4)
        self.resolve = ctx.simple_framebuffer((width, height))
        self.shadow_tex = ctx.texture((256, 256), 1)
        self.shadow_tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.shadow_tex.repeat_x = self.shadow_tex.repeat_y = False
        self.shadow_fbo = ctx.framebuffer(color_attachments=[self.shadow_tex])
        self.static = self._static_geometry(wall)
        self.static_vbo = ctx.buffer(self.static.tobytes())
        self.static_vao = ctx.vertex_array(
            self.prog, [(self.static_vbo, "3f 3f 3f 1f", "in_pos", "in_norm", "in_col", "in_kind")]
        )
        self.body_vbo = None

    def _static_geometry(self, wall) -> np.ndarray:
        a = self.app
        quads = [_quad(np.array([-12.0, 0.0, -12.0]), np.array([0.0, 0.0, 24.0]),
                       np.array([24.0, 0.0, 0.0]), (0, 1, 0), a.floor, 1.0)]
        if wall is not None:
            p, n = (np.asarray(x, float) for x in wall)
            side = np.cross(np.array([0.0, 1.0, 0.0]), n)
            corner = p - 12.0 * side
            quads.append(_quad(corner, 24.0 * side, np.array([0.0, 4.0, 0.0]), n, a.wall, 2.0))
            # skirting board and two frames on the wall, slightly in front of it
            lift = n * 0.005
            quads.append(_quad(corner + lift, 24.0 * side, np.array([0.0, 0.1, 0.0]), n, a.wall_accent, 2.0))
            for off, w, h, y in ((-1.3, 0.9, 0.6, 1.2), (1.1, 0.7, 1.0, 0.9)):
                c = p + lift * 2 + off * side + np.array([0.0, y, 0.0])
                quads.append(_quad(c, w * side, np.array([0.0, h, 0.0]), n, a.wall_accent, 2.0))
                inner = tuple(0.5 * x + 0.3 for x in a.wall_accent[::-1])
                quads.append(_quad(c + lift + 0.06 * side + np.array([0.0, 0.06, 0.0]),
                                   (w - 0.12) * side, np.array([0.0, h - 0.12, 0.0]), n, inner, 2.0))
        return np.concatenate(quads)

    def render(self, camera: Camera, surface: BodySurface) -> np.ndarray:
        """One (H, W, 3) uint8 RGB frame of ``surface`` seen by ``camera``."""
        mgl = self._mgl
        mesh = surface.triangles(self.app.materials)
        data = np.concatenate([mesh, np.zeros((len(mesh), 1), "f4")], axis=1)
        if self.body_vbo is None or self.body_vbo.size < data.nbytes:
            self.body_vbo = self.ctx.buffer(reserve=data.nbytes)
            self.body_vao = self.ctx.vertex_array(
                self.prog, [(self.body_vbo, "3f 3f 3f 1f", "in_pos", "in_norm", "in_col", "in_kind")]
            )
            self.shadow_vao = self.ctx.vertex_array(
                self.shadow_prog, [(self.body_vbo, "3f 28x", "in_pos")]
            )
        self.body_vbo.write(data.tobytes())
        n_vert = len(data)
        # soft floor shadow: silhouette along the light direction into a small texture
        center = surface.center()
        smat = _shadow_matrix(np.array(self.app.light_dir), center, 1.6)
        self.shadow_fbo.use()
        self.shadow_fbo.clear(0.0, 0.0, 0.0, 1.0)
        self.ctx.disable(mgl.DEPTH_TEST | mgl.CULL_FACE)
        self.shadow_prog["shadow_mat"].write(smat.T.astype("f4").tobytes())
        self.shadow_vao.render(vertices=n_vert)
        # the scene
        self.fbo.use()
        self.fbo.clear(0.0, 0.0, 0.0, 1.0)
        self.ctx.enable(mgl.DEPTH_TEST)
        vp = camera.projection_matrix() @ camera.view_matrix()
        p = self.prog
        p["view_proj"].write(vp.T.astype("f4").tobytes())
        p["shadow_mat"].write(smat.T.astype("f4").tobytes())
        p["light_dir"].value = tuple(self.app.light_dir)
        p["light"].value = self.app.light
        p["ambient"].value = self.app.ambient
        p["eye"].value = tuple(float(x) for x in camera.eye)
        p["floor_pattern"].value = self.app.floor_pattern
        p["has_mat"].value = 0 if self.app.mat is None else 1
        p["mat_color"].value = self.app.mat or (0.0, 0.0, 0.0)
        p["mat_rect"].value = self.mat_rect
        self.shadow_tex.use(0)
        p["shadow_tex"].value = 0
        self.static_vao.render()
        self.body_vao.render(vertices=n_vert)
        self.ctx.copy_framebuffer(self.resolve, self.fbo)
        raw = self.resolve.read(components=3)
        img = np.frombuffer(raw, np.uint8).reshape(self.height, self.width, 3)[::-1]
        return np.ascontiguousarray(img)

    def close(self) -> None:
        if getattr(self, "ctx", None) is not None:
            self.ctx.release()
            self.ctx = None

    def __enter__(self) -> SceneRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
