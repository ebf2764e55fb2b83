"""A pinhole camera in the renderer's world (metres, Y up, floor at Y = 0), shared by the
OpenGL scene and the truth file so that projected landmarks and pixels agree exactly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    """Attributes:
    eye: (3,) camera position, world metres.
    target: (3,) point the optical axis passes through.
    fov_y_deg: vertical field of view.
    width, height: image size in pixels.
    roll_deg: rotation of the image about the optical axis (a slightly tilted phone).
    """

    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    fov_y_deg: float
    width: int
    height: int
    roll_deg: float = 0.0
    near: float = 0.05
    far: float = 50.0

    def axes(self) -> np.ndarray:
        """(3, 3) rows = camera right, down, forward (OpenCV-style) in world coordinates."""
        eye, target = np.asarray(self.eye, float), np.asarray(self.target, float)
        fwd = target - eye
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, np.array([0.0, 1.0, 0.0]))
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        if self.roll_deg:
            c, s = np.cos(np.radians(self.roll_deg)), np.sin(np.radians(self.roll_deg))
            right, down = c * right + s * down, -s * right + c * down
        return np.stack([right, down, fwd])

    @property
    def focal_px(self) -> float:
        return self.height / 2.0 / np.tan(np.radians(self.fov_y_deg) / 2.0)

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> camera coordinates (x right, y down, z forward), metres."""
        return (np.asarray(points, float) - np.asarray(self.eye, float)) @ self.axes().T

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> pixels (..., 2), origin top-left, y down (pixel centres at
        +0.5, as MediaPipe's normalised coordinates times the image size)."""
        c = self.to_camera(points)
        f = self.focal_px
        x = f * c[..., 0] / c[..., 2] + self.width / 2.0
        y = f * c[..., 1] / c[..., 2] + self.height / 2.0
        return np.stack([x, y], axis=-1)

    def view_matrix(self) -> np.ndarray:
        """4x4 OpenGL view matrix (camera looks down -z, y up)."""
        r, d, f = self.axes()
        m = np.eye(4)
        m[0, :3], m[1, :3], m[2, :3] = r, -d, -f
        m[:3, 3] = -m[:3, :3] @ np.asarray(self.eye, float)
        return m

    def projection_matrix(self) -> np.ndarray:
        """4x4 OpenGL perspective matrix matching :meth:`project`."""
        t = 1.0 / np.tan(np.radians(self.fov_y_deg) / 2.0)
        aspect = self.width / self.height
        n, fa = self.near, self.far
        m = np.zeros((4, 4))
        m[0, 0] = t / aspect
        m[1, 1] = t
        m[2, 2] = (fa + n) / (n - fa)
        m[2, 3] = 2 * fa * n / (n - fa)
        m[3, 2] = -1.0
        return m
