"""Feature specifications of the solid-electrolyte cell (see femli.geometry.sse):
contact pattern, voids, protrusions, flaws, grains, interlayer. Each validates
what it can on its own; placement in the cell is checked by SolidElectrolyteCell."""

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from femli.units import Length, NonNegativeLength


def um(x: float) -> str:
    return f"{x * 1e6:.4g} um"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Spec):
    """Li | SSE contact pattern on z = 0."""

    pattern: Literal["full", "single_spot", "spot_array", "random"] = "full"
    contact_fraction: float | None = Field(None, description="Li-covered area fraction of z = 0, in (0, 1]")
    spots: tuple[PositiveInt, PositiveInt] | None = Field(None, description="spot_array: spots in x and y (default [2, 2])")
    spot_radius: Length | None = Field(None, description="random: radius of each spot")
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _check(self):
        f = self.contact_fraction
        if f is not None and not 0.0 < f <= 1.0:
            raise ValueError(f"contact_fraction must lie in (0, 1], got {f}")
        if self.pattern == "full":
            if f is not None and f != 1.0:
                raise ValueError(f"contact_fraction ({f}) needs a pattern: 'single_spot', 'spot_array' or 'random' ('full' is complete contact)")
        elif f is None:
            raise ValueError(f"pattern = '{self.pattern}' needs contact_fraction")
        if self.spots is not None and self.pattern != "spot_array":
            raise ValueError("spots applies to pattern = 'spot_array' only")
        if self.pattern == "random":
            if self.spot_radius is None:
                raise ValueError("pattern = 'random' needs spot_radius")
            if f > 0.5:
                raise ValueError(
                    f"contact_fraction ({f}) is not reachable by random sequential adsorption of non-overlapping "
                    "spots (which jams near 0.5); use pattern = 'spot_array' for larger fractions"
                )
        elif self.spot_radius is not None:
            raise ValueError("spot_radius applies to pattern = 'random' only (single_spot/spot_array take it from contact_fraction)")
        return self

    @property
    def fraction(self) -> float:
        return 1.0 if self.contact_fraction is None else self.contact_fraction

    @property
    def grid(self) -> tuple[int, int]:
        if self.pattern == "spot_array":
            return self.spots or (2, 2)
        return (1, 1)


class Void(_Spec):
    shape: Literal["spherical_cap", "ellipsoid"] = "spherical_cap"
    center: tuple[NonNegativeLength, NonNegativeLength]
    radius: Length | None = Field(None, description="spherical_cap: base radius at z = 0")
    height: Length | None = Field(None, description="spherical_cap: height into the SSE (<= radius)")
    semi_axes: tuple[Length, Length, Length] | None = Field(None, description="ellipsoid: [a, b, c], c into the SSE")
    angle: float = Field(0.0, description="ellipsoid: turn of the a axis from x about z, degrees")

    @model_validator(mode="after")
    def _check(self):
        if self.shape == "spherical_cap":
            if self.semi_axes is not None:
                raise ValueError("semi_axes applies to shape = 'ellipsoid' only (this void is a spherical_cap)")
            if self.radius is None or self.height is None:
                raise ValueError("a spherical_cap void needs radius and height")
            if self.height > self.radius * (1 + 1e-9):
                raise ValueError(f"height ({um(self.height)}) must not exceed radius ({um(self.radius)}): a cap is at most a hemisphere")
        else:
            if self.semi_axes is None:
                raise ValueError("an ellipsoid void needs semi_axes = [a, b, c]")
            if self.radius is not None or self.height is not None:
                raise ValueError("an ellipsoid void takes semi_axes, not radius/height")
        return self

    @property
    def reach(self) -> float:
        """Largest lateral distance from the centre that the void occupies."""
        return self.radius if self.shape == "spherical_cap" else max(self.semi_axes[:2])

    @property
    def depth_into(self) -> float:
        return self.height if self.shape == "spherical_cap" else self.semi_axes[2]

    def volume(self) -> float:
        if self.shape == "spherical_cap":
            a, h = self.radius, self.height
            return math.pi * h * (3 * a * a + h * h) / 6.0
        a, b, c = self.semi_axes
        return 2.0 * math.pi * a * b * c / 3.0


class RandomVoids(_Spec):
    """Random non-overlapping spherical-cap voids (seeded), placed after the listed features."""

    count: PositiveInt
    radius: Length
    height: Length
    seed: int = Field(0, ge=0)


class Protrusion(_Spec):
    shape: Literal["hemisphere", "cone", "cylinder"] = "hemisphere"
    center: tuple[NonNegativeLength, NonNegativeLength]
    radius: Length = Field(description="base radius at z = 0")
    length: Length | None = Field(None, description="height into the SSE (hemisphere: = radius)")
    tip_radius: Length | None = Field(None, description="cone: tip sphere radius (default radius/4); cylinder: edge rounding (default radius)")

    @model_validator(mode="after")
    def _check(self):
        r = self.radius
        if self.shape == "hemisphere":
            if self.length is not None and abs(self.length - r) > 1e-9 * r:
                raise ValueError(f"a hemisphere's length must equal its radius ({um(r)}) or be omitted, got {um(self.length)}")
            if self.tip_radius is not None:
                raise ValueError("tip_radius applies to cone and cylinder protrusions only")
            return self
        if self.length is None:
            raise ValueError(f"a {self.shape} protrusion needs length")
        rho = self.tip
        if self.shape == "cylinder":
            if rho > r * (1 + 1e-9):
                raise ValueError(f"tip_radius ({um(rho)}) must not exceed radius ({um(r)}) for a cylinder")
            if rho >= self.length:
                raise ValueError(f"tip_radius ({um(rho)}) must be smaller than length ({um(self.length)})")
        else:
            if rho >= r or self.cone_tangent() is None:
                raise ValueError(
                    f"tip_radius ({um(rho)}) is too large for a cone of radius {um(r)} and length {um(self.length)} "
                    "(the rounded tip must be narrower than the base)"
                )
        return self

    @property
    def tip(self) -> float:
        if self.tip_radius is not None:
            return self.tip_radius
        return self.radius / 4 if self.shape == "cone" else self.radius

    @property
    def height(self) -> float:
        return self.radius if self.shape == "hemisphere" else self.length

    def cone_tangent(self) -> tuple[float, float] | None:
        """Cone: (radial, z) of the point where the flank touches the tip sphere
        (centre on the axis at length - tip), or None if no valid flank exists."""
        r, L, rho = self.radius, self.length, self.tip
        zc = L - rho
        d = math.hypot(r, zc)
        if zc <= 0 or d <= rho:
            return None
        ux, uz = r / d, -zc / d
        beta = math.acos(rho / d)
        best = None
        for sgn in (1.0, -1.0):
            c, s = math.cos(sgn * beta), math.sin(sgn * beta)
            px, pz = rho * (c * ux - s * uz), zc + rho * (s * ux + c * uz)
            if best is None or px > best[0]:
                best = (px, pz)
        if not (0 < best[0] < r and 0 < best[1] < L):
            return None
        return best


class Flaw(_Spec):
    shape: Literal["semi_elliptical", "penny", "edge_notch"] = "semi_elliptical"
    center: tuple[NonNegativeLength, ...] = Field(description="[x, y] on z = 0; penny: [x, y, z]")
    depth: Length = Field(description="a: extent into the SSE along z (penny: radius)")
    half_length: Length | None = Field(None, description="c: half surface length (semi_elliptical only; default = depth)")
    opening: Length = Field(description="slot width between the flanks (<< depth)")
    angle: float = Field(0.0, description="degrees: flaw-plane normal (cos, sin, 0); 0 = flaw in the y-z plane")
    filled: bool | None = Field(None, description="Li-filled (crack_faces) or empty (flaw_faces); default filled, penny empty")
    front_size: Length | None = Field(None, description="element size at the flaw front (default size_min/3)")

    @model_validator(mode="after")
    def _check(self):
        want = 3 if self.shape == "penny" else 2
        if len(self.center) != want:
            raise ValueError(f"center of a {self.shape} flaw has {want} coordinates ({'[x, y, z]' if want == 3 else '[x, y] on z = 0'}), got {len(self.center)}")
        if self.shape != "semi_elliptical" and self.half_length is not None:
            raise ValueError(f"half_length does not apply to a {self.shape} flaw" + (" (it runs through the cell)" if self.shape == "edge_notch" else " (its radius is depth)"))
        if self.shape == "penny" and self.filled:
            raise ValueError("a penny flaw is embedded and cannot be Li-filled (filled = false)")
        c = self.c
        limit = 0.2 * min(self.depth, c) if c is not None else 0.2 * self.depth
        if self.opening > limit:
            raise ValueError(f"opening ({um(self.opening)}) must be << depth: at most 0.2 x min(depth, half_length) = {um(limit)}")
        return self

    @property
    def c(self) -> float | None:
        if self.shape == "semi_elliptical":
            return self.half_length if self.half_length is not None else self.depth
        return self.depth if self.shape == "penny" else None

    @property
    def is_filled(self) -> bool:
        return self.shape != "penny" if self.filled is None else self.filled

    @property
    def normal(self) -> tuple[float, float]:
        t = math.radians(self.angle)
        return math.cos(t), math.sin(t)

    @property
    def trace(self) -> tuple[float, float]:
        nx, ny = self.normal
        return -ny, nx


class Grains(_Spec):
    count: int = Field(ge=2, le=200, description="number of grains")
    seed: int = Field(0, ge=0)
    boundary_thickness: Length
    columnar: bool = Field(False, description="2D Voronoi in x-y extruded through the thickness instead of 3D")


class Interlayer(_Spec):
    thickness: Length
    hole_fraction: float = Field(0.0, description="fraction of the film area removed as circular holes")
    hole_radius: Length | None = None
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _check(self):
        if not 0.0 <= self.hole_fraction < 1.0:
            raise ValueError(f"hole_fraction must lie in [0, 1), got {self.hole_fraction}")
        if self.hole_fraction > 0.5:
            raise ValueError(f"hole_fraction ({self.hole_fraction}) is not reachable with random non-overlapping holes (jams near 0.5)")
        if self.hole_fraction > 0 and self.hole_radius is None:
            raise ValueError("hole_fraction > 0 needs hole_radius")
        return self
