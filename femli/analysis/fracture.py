"""Crack-driving force: stress intensity factors along a crack front and the maximum principal stress.

Stress intensity factors by the domain interaction integral
------------------------------------------------------------
At a point s of a crack front take the local right-handed frame (e1, e2, e3): e1 in
the crack plane, normal to the front and pointing ahead of it, e2 the crack-plane
normal, e3 = e1 x e2 along the front. The auxiliary fields u^a, sigma^a are the
Williams crack-tip fields (plane strain, kappa = 3 - 4 nu) of mode I, II or the
antiplane mode III with a unit stress intensity, written in that frame
(r, theta: polar coordinates about the front in the (e1, e2) plane). The
interaction integral of the actual field (u, sigma) with them,

    I(s) = 2 (K_I K_I^a + K_II K_II^a) / E* + K_III K_III^a / mu,     E* = E / (1 - nu^2),

is the cross term of the J-integral of the superposed fields. Its domain form
(Yau, Wang & Corten 1980; Shih, Moran & Nakamura 1986; Nakamura & Parks 1989;
Shih & Asaro 1988; Gosz & Moran 2002 for curved fronts) with a vector virtual
extension q_k(x) = q(x) e1_k(x), q = 1 at the front point and 0 on the domain's
outer boundary, is

    I(s) int_front q ds = int_V F_ik dq_k/dx_i dV  +  int_V (div sigma^a)_j u_j,k q_k dV
                          - int_{crack faces} t_j u^a_j,k q_k dA,

    F_ik = sigma_ij u^a_j,k + sigma^a_ij u_j,k - sigma_jl eps^a_jl delta_ik,

with t = sigma m the traction on the crack faces (m out of the body; t = -p m
for a pressure p): it follows from the divergence theorem applied to F_ik q_k
over the domain minus a thin tube about the front, using div sigma = 0 and a
homogeneous isotropic material in the domain. The auxiliary fields are written
about the osculating circle of the front at s (signed radius R in the crack
plane; a straight front is the limit): r and theta are measured in the
meridional plane of that circle and the frame turns with the position along
it, so the auxiliary crack faces coincide with the real (planar) ones.
u^a is then an explicit function of x and UFL differentiates it: eps^a =
sym grad u^a is compatible by construction, and what the curvature spoils is
equilibrium, div sigma^a = O(r^-1/2 / R): the second volume term puts it back
(it vanishes for a straight front). On the crack faces (theta = +-pi) the
auxiliary traction vanishes for modes I and III and is O(r^1/2 / R) for mode II
(omitted). The face term's du^a/dx1 ~ r^-1/2 is under-integrated by Gauss
quadrature in the elements at the front (a pressurised penny's K_I 2 % low), so
it is integrated by parts along e1 on the planar faces, whose area element is
rho d rho d phi (rho the distance from the osculating circle's axis, +- = sign R):

    - int t.du^a/dx1 q dA = int u^a . (d(q t)/dx1 +- q t / rho) dA,
    u^a(theta = +-pi) = +- sqrt(r / 2 pi) / (2 mu) [(kappa + 1) K_II^a e1 + (kappa + 1) K_I^a e2 + 4 K_III^a e3],

the sign + on the face above the crack plane (outward normal -e2); the boundary
terms vanish (u^a = 0 at the front, q = 0 at the end of each ray, and the faces'
other edges inside a q-domain, mirror planes or side faces, run along e1).
The q-function is q = f(r) w(s): f = 1 for r < r_in, a C1 cubic down to 0 at
r_out, and w = (1 - (s/L)^2)^2 for |s| < L along the front, so
int_front q ds = int w ds, taken over the part of the front inside the model.
K_I = E* I_I / 2, K_II = E* I_II / 2, K_III = mu I_III, and

    G = (K_I^2 + K_II^2) / E* + K_III^2 / (2 mu).

Each integral is one DOLFINx form, compiled once, assembled over the owned
cells (and crack-face facets) of each front point's domain, summed over ranks.

Symmetric halves. When the crack plane is a mirror plane of the model only one
side (x2 > 0) is meshed: ``symmetry="symmetric"`` (the loads are symmetric:
mode I only, a pressurised or tension-loaded crack) doubles the integrals and
sets K_II = K_III = 0; ``"antisymmetric"`` (shear loads) gives K_II and K_III
and K_I = 0. A front ending on a mirror plane normal to it (``mirrors``): a
q-domain crossing the plane gets its mirror image's contribution. With M the
reflection and the real field's parity u(Mx) = +-M u(x), that is +- the
integral over the model of the domain about the mirrored point with the
mirrored frame, whose auxiliary field is M u^a(Mx) with K_III^a negated (M
reverses e3); int w ds is then not clipped at that end. Without ``mirrors`` the
q-domains are clipped at the model's boundary, exact only for the modes whose
auxiliary field has the mirror symmetry of the real field.

Displacement correlation (cross-check). Behind the front, at distance r on the
crack faces, the opening Delta u = u(+) - u(-) of the Williams fields is
Delta u_2 = 8 K_I sqrt(r / 2 pi) / E*, Delta u_1 = 8 K_II sqrt(r / 2 pi) / E*,
Delta u_3 = 4 K_III sqrt(r / 2 pi) / mu, so

    K_I = E*/8 sqrt(2 pi / r) Delta u_2,  K_II = E*/8 sqrt(2 pi / r) Delta u_1,  K_III = mu/4 sqrt(2 pi / r) Delta u_3;

with a mirror plane Delta u is twice the displacement of the meshed face (K_I =
E*/4 sqrt(2 pi / r) u_2^+). The apparent K at several r is extrapolated
linearly to r = 0.
"""

from dataclasses import dataclass, field

import numpy as np
import ufl
from dolfinx import fem
from mpi4py import MPI

from femli.physics.elasticity import lame, stress, traction_vector

SYMMETRY = (None, "symmetric", "antisymmetric")


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


@dataclass
class CrackFront:
    """A crack front sampled at ordered points, with its local frame and curvature.

    ``ahead`` (e1) lies in the crack plane, normal to the front, pointing away from
    the crack; ``normal`` (e2) is the crack-plane normal; the tangent is e3 = e1 x e2.
    ``radius`` is the signed radius of curvature of the front in the crack plane
    (positive when the centre of curvature lies on the crack side, as for a
    penny-shaped crack; ``inf`` straight). ``arc`` is the arc length at each point
    and ``extent`` the arc range of the whole front inside the model (the
    q-domains are clipped to it).
    """

    points: np.ndarray
    ahead: np.ndarray
    normal: np.ndarray
    radius: np.ndarray
    arc: np.ndarray
    extent: tuple[float, float]
    name: str = "flaw_front"

    def __post_init__(self):
        self.points = np.atleast_2d(np.asarray(self.points, dtype=float))
        n = len(self.points)
        self.normal = _unit(np.broadcast_to(self.normal, (n, 3)))
        ahead = np.broadcast_to(np.asarray(self.ahead, dtype=float), (n, 3))
        ahead = ahead - np.sum(ahead * self.normal, axis=1)[:, None] * self.normal
        self.ahead = _unit(ahead)
        self.radius = np.broadcast_to(np.asarray(self.radius, dtype=float), (n,)).copy()
        self.arc = np.asarray(self.arc, dtype=float)

    @property
    def tangent(self):
        return np.cross(self.ahead, self.normal)

    def __len__(self):
        return len(self.points)

    @classmethod
    def circle(cls, centre, radius, normal, angles, axis=None, extent=None, name="flaw_front"):
        """Points at ``angles`` (rad) on the circle of ``radius`` about ``centre`` in the plane of
        ``normal``, measured from ``axis`` (default: any direction in the plane) towards
        normal x axis; the crack is the disk inside (e1 radial, outward). ``extent`` is the
        angular range of the front in the model (default: the first and last angle)."""
        centre, n = np.asarray(centre, dtype=float), _unit(normal)
        if axis is None:
            axis = np.cross(n, [1.0, 0.0, 0.0] if abs(n[0]) < 0.9 else [0.0, 1.0, 0.0])
        a0 = _unit(np.asarray(axis, dtype=float) - np.dot(axis, n) * n)
        b0 = np.cross(n, a0)
        phi = np.asarray(angles, dtype=float)
        radial = np.cos(phi)[:, None] * a0 + np.sin(phi)[:, None] * b0
        ext = (phi[0], phi[-1]) if extent is None else extent
        return cls(centre + radius * radial, radial, n, radius, radius * phi, (radius * ext[0], radius * ext[1]), name)

    @classmethod
    def straight(cls, start, end, normal, ahead, n, name="flaw_front"):
        """``n`` points from ``start`` to ``end`` (a straight front), crack-plane ``normal``, ``ahead`` (e1)."""
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        t = np.linspace(0.0, 1.0, n)
        length = np.linalg.norm(end - start)
        return cls(start + t[:, None] * (end - start), ahead, normal, np.inf, t * length, (0.0, length), name)

    @classmethod
    def from_points(cls, points, normal, crack_point, extent=None, name="flaw_front"):
        """A planar front through ordered ``points`` (e.g. a Gmsh curve sampled by
        :func:`sample_gmsh_curve`): at each point the circle through it and its neighbours (the
        first and last three points at the ends) gives the radius of curvature and e1 (radial;
        exact on a circular front), collinear points a straight piece (e1 = normal x tangent);
        e1 points away from ``crack_point`` (any point of the crack plane on the crack side,
        e.g. the centre of a penny). ``arc`` is the polyline's arc length."""
        p = np.asarray(points, dtype=float)
        if len(p) < 3:
            raise ValueError("a front from points needs at least 3 points")
        n = _unit(normal)
        seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(seg)])
        tangent = np.gradient(p, arc, axis=0)
        inside = np.asarray(crack_point, dtype=float)
        e1, radius = np.empty_like(p), np.empty(len(p))
        for k in range(len(p)):
            i = min(max(k, 1), len(p) - 2)
            centre = _circumcentre(p[i - 1], p[i], p[i + 1])
            if centre is None:  # straight here
                d = np.cross(n, tangent[k])
                radius[k] = np.inf
            else:
                d = p[k] - centre
                radius[k] = np.linalg.norm(d - np.dot(d, n) * n)
            d = _unit(d - np.dot(d, n) * n)
            away = np.dot(d, p[k] - inside) > 0
            e1[k] = d if away else -d
            if centre is not None and not away:
                radius[k] = -radius[k]  # the centre of curvature lies ahead: a concave front
        return cls(p, e1, n, radius, arc, (0.0, arc[-1]) if extent is None else extent, name)


def _circumcentre(a, b, c):
    """The centre of the circle through a, b, c; None when they are (nearly) collinear."""
    ab, ac = b - a, c - a
    w = np.cross(ab, ac)
    area2 = np.dot(w, w)
    if area2 < 1e-20 * np.dot(ab, ab) * np.dot(ac, ac):
        return None
    return a + (np.dot(ac, ac) * np.cross(w, ab) + np.dot(ab, ab) * np.cross(ac, w)) / (2.0 * area2)


def sample_gmsh_curve(tag: int, n: int) -> np.ndarray:
    """``n`` points along Gmsh curve ``tag``, equally spaced in its parameter (call while the model
    exists; on rank 0 when only rank 0 builds the model, then broadcast)."""
    import gmsh

    lo, hi = gmsh.model.getParametrizationBounds(1, tag)
    u = np.linspace(lo[0], hi[0], n)
    return np.asarray(gmsh.model.getValue(1, tag, u)).reshape(-1, 3)


@dataclass
class FrontResult:
    """K_I, K_II, K_III (Pa m^1/2) and G (J/m^2) at each front point; ``K_dc`` by displacement correlation."""

    front: CrackFront
    K: np.ndarray
    G: np.ndarray
    K_dc: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    @property
    def K_I(self):
        return self.K[:, 0]

    @property
    def K_II(self):
        return self.K[:, 1]

    @property
    def K_III(self):
        return self.K[:, 2]

    def mode_mix(self):
        """The phase angle atan2(K_II, K_I) (rad) along the front."""
        return np.arctan2(self.K[:, 1], self.K[:, 0])

    def rows(self) -> list[dict]:
        """One dict per front point (for a CSV): s, x, y, z, K_I, K_II, K_III, G (and the correlation's K)."""
        out = []
        for k, (s, x) in enumerate(zip(self.front.arc, self.front.points)):
            row = {"s": s, "x": x[0], "y": x[1], "z": x[2], "K_I": self.K[k, 0], "K_II": self.K[k, 1],
                   "K_III": self.K[k, 2], "G": self.G[k]}
            if self.K_dc is not None:
                row |= {"K_I_dc": self.K_dc[k, 0], "K_II_dc": self.K_dc[k, 1], "K_III_dc": self.K_dc[k, 2]}
            out.append(row)
        return out


def energy_release_rate(K, E, nu):
    """G = (K_I^2 + K_II^2)(1 - nu^2)/E + K_III^2/(2 mu) for K of shape (..., 3)."""
    K = np.asarray(K, dtype=float)
    mu = E / (2.0 * (1.0 + nu))
    return (K[..., 0] ** 2 + K[..., 1] ** 2) * (1.0 - nu**2) / E + K[..., 2] ** 2 / (2.0 * mu)


# --- the interaction integral ---------------------------------------------------------------------------------


class _Constants:
    """The front point's frame, q-domain and auxiliary mode as DOLFINx constants of one compiled form."""

    def __init__(self, msh):
        def c(shape=()):
            return fem.Constant(msh, np.zeros(shape, dtype=np.float64))

        self.x0, self.e1, self.e2, self.e3 = c(3), c(3), c(3), c(3)
        self.R, self.sign = c(), c()  # signed radius of curvature and its sign
        self.r_in, self.r_out, self.L = c(), c(), c()
        self.mu, self.lmbda, self.kappa = c(), c(), c()
        self.Ka = c(3)  # the auxiliary stress intensities (one of them 1)


def _williams(x1, x2, mu, kappa, Ka):
    """The Williams displacement (plane strain modes I, II and antiplane III) in local components."""
    r = ufl.sqrt(x1**2 + x2**2)
    th = ufl.atan2(x2, x1)
    sr = ufl.sqrt(r / (2.0 * np.pi))
    c, s = ufl.cos(th / 2.0), ufl.sin(th / 2.0)
    u1 = sr / (2.0 * mu) * (Ka[0] * c * (kappa - 1.0 + 2.0 * s**2) + Ka[1] * s * (kappa + 1.0 + 2.0 * c**2))
    u2 = sr / (2.0 * mu) * (Ka[0] * s * (kappa + 1.0 - 2.0 * c**2) - Ka[1] * c * (kappa - 1.0 - 2.0 * s**2))
    u3 = 2.0 * Ka[2] / mu * sr * s
    return u1, u2, u3


def _smoothstep_down(r, r_in, r_out):
    """1 for r < r_in, 0 for r > r_out, the C1 cubic 1 - 3t^2 + 2t^3 between."""
    t = (r - r_in) / (r_out - r_in)
    return ufl.conditional(ufl.lt(r, r_in), 1.0, ufl.conditional(ufl.gt(r, r_out), 0.0, 1.0 - 3.0 * t**2 + 2.0 * t**3))


def _local(x, c: _Constants, curved: bool):
    """(x1, x2, s, e1(x), e3(x), rho): local coordinates, the turning frame about the osculating circle and
    the distance rho from its axis (None for a straight front)."""
    y = x - c.x0
    y1, y2, y3 = ufl.dot(y, c.e1), ufl.dot(y, c.e2), ufl.dot(y, c.e3)
    if not curved:
        return y1, y2, y3, c.e1, c.e3, None
    d1, d3 = y1 + c.R, y3  # in-plane position from the centre of curvature
    rho = ufl.sqrt(d1**2 + d3**2)
    e1 = c.sign * (d1 * c.e1 + d3 * c.e3) / rho
    e3 = ufl.cross(e1, c.e2)
    absR = c.sign * c.R
    return c.sign * (rho - absR), y2, absR * ufl.atan2(d3, c.sign * d1), e1, e3, rho


def _forms(msh, u, c: _Constants, curved: bool, faces, quadrature_degree: int):
    """The UFL interaction integral (volume + crack faces) for the mode in c.Ka."""
    x = ufl.SpatialCoordinate(msh)
    x1, x2, s, e1, e3, rho = _local(x, c, curved)
    r = ufl.sqrt(x1**2 + x2**2)
    q = _smoothstep_down(r, c.r_in, c.r_out) * ufl.conditional(ufl.lt(abs(s), c.L), (1.0 - (s / c.L) ** 2) ** 2, 0.0)
    qv = q * e1
    a1, a2, a3 = _williams(x1, x2, c.mu, c.kappa, c.Ka)
    ua = a1 * e1 + a2 * c.e2 + a3 * e3
    I3 = ufl.Identity(3)

    def hooke(eps):
        return 2.0 * c.mu * eps + c.lmbda * ufl.tr(eps) * I3

    Ga, G = ufl.grad(ua), ufl.grad(u)
    sig, sig_a = hooke(ufl.sym(G)), hooke(ufl.sym(Ga))
    F = sig * Ga + sig_a * G - ufl.inner(sig, ufl.sym(Ga)) * I3
    md = {"quadrature_degree": quadrature_degree}
    dx = ufl.Measure("dx", domain=msh, metadata=md)
    integrand = ufl.inner(F, ufl.grad(qv).T)
    if curved:  # the auxiliary field's lack of equilibrium on a curved front
        integrand += ufl.dot(ufl.div(sig_a), G * qv)
    form = integrand * dx(1)
    if faces:  # - int t.du^a/dx1 q dA, integrated by parts along e1 on the (planar) faces
        ds = ufl.Measure("ds", domain=msh, metadata=md)
        side = -ufl.sign(ufl.dot(ufl.FacetNormal(msh), c.e2))  # +1 on the face above the crack plane
        m = -side * c.e2  # the face's outward normal
        ua_face = side * ufl.sqrt(r / (2.0 * np.pi)) / (2.0 * c.mu) * (
            (c.kappa + 1.0) * (c.Ka[1] * e1 + c.Ka[0] * c.e2) + 4.0 * c.Ka[2] * e3)
        for i, (_, load) in enumerate(faces):
            qt = q * traction_vector(load, m)
            dqt = ufl.grad(qt) * e1
            if curved:
                dqt += c.sign * qt / rho
            form += ufl.dot(ua_face, dqt) * ds(i + 1)
    return form


def _cell_geometry(msh):
    """Midpoint and radius (largest node distance) of every local cell (owned first)."""
    nodes = msh.geometry.x[msh.geometry.dofmaps[0]]
    mid = nodes.mean(axis=1)
    rad = np.linalg.norm(nodes - mid[:, None, :], axis=2).max(axis=1)
    return mid, rad


def _weight_integral(lo, hi):
    """int of (1 - x^2)^2 from lo to hi (|lo|, |hi| <= 1)."""

    def F(x):
        return x - 2.0 * x**3 / 3.0 + x**5 / 5.0

    return F(hi) - F(lo)


def stress_intensity(u, E: float, nu: float, front: CrackFront, r_out: float, r_in: float | None = None,
                     half_length: float | None = None, crack_faces=(), symmetry: str | None = None, mirrors=(),
                     quadrature_degree: int = 6, dc_radii=None) -> FrontResult:
    """K_I, K_II, K_III along ``front`` from the displacement ``u`` by the domain interaction integral.

    ``u``: a vector DOLFINx Function (or a femli Field) on a 3D mesh; ``E``, ``nu``: the
    (homogeneous) elastic constants in the q-domains. ``r_out``: the q-domain's radius about
    the front, ``r_in`` (default r_out/4) the radius of its plateau q = 1, ``half_length``
    (default r_out) its half-length L along the front. ``crack_faces``: ``(facets, load)``
    pairs for loaded crack faces (local facet indices of the mesh, e.g.
    ``facet_tags.find(tag)``; ``load`` a pressure or a traction vector as for
    :class:`femli.physics.elasticity.Traction`); traction-free faces need nothing.
    ``symmetry``: None (both crack faces meshed), ``"symmetric"`` or ``"antisymmetric"``
    (only the side x2 > 0 is meshed; see the module docstring). ``mirrors``: mirror
    planes the front ends on, ``(point, normal, parity)`` with parity ``"symmetric"``
    (u(Mx) = M u(x), M the reflection) or ``"antisymmetric"`` (u(Mx) = -M u(x)): a q-domain
    that crosses one gets the contribution of its mirror image (module docstring);
    without them the q-domains are clipped at the model's boundary. ``dc_radii``:
    distances behind the front for the displacement-correlation cross-check (default
    r_out x (0.5, 1, 1.5, 2): a few elements from the front, where the finite-element
    displacement follows the sqrt(r) field); empty to skip it. Collective.
    """
    if symmetry not in SYMMETRY:
        raise ValueError(f"symmetry must be one of {SYMMETRY}, not {symmetry!r}")
    if not (E > 0 and -1.0 < nu < 0.5):
        raise ValueError(f"need E > 0 and -1 < nu < 0.5, not E = {E}, nu = {nu}")
    u = getattr(u, "u", u)  # a femli Field
    msh = u.function_space.mesh
    comm = msh.comm
    if msh.geometry.dim != 3 or msh.topology.dim != 3:
        raise ValueError("stress_intensity needs a 3D mesh")
    r_in = 0.25 * r_out if r_in is None else r_in
    L = r_out if half_length is None else half_length
    if not 0 <= r_in < r_out or L <= 0:
        raise ValueError(f"need 0 <= r_in < r_out and half_length > 0 (r_in {r_in}, r_out {r_out}, L {L})")
    reach = np.sqrt(r_out**2 + L**2)
    radii = np.abs(front.radius)
    if np.any(radii < 2.0 * max(r_out, L)):
        raise ValueError(f"q-domain (r_out {r_out}, half-length {L}) too large for the front's radius of curvature "
                         f"{radii.min():.3g}: keep both below half of it")
    planes = []
    for point, normal, parity in mirrors:
        if parity not in ("symmetric", "antisymmetric"):
            raise ValueError(f"a mirror's parity is 'symmetric' or 'antisymmetric', not {parity!r}")
        planes.append((np.asarray(point, dtype=float), _unit(normal), 1.0 if parity == "symmetric" else -1.0))

    mu, lmbda = lame(E, nu)
    Estar = E / (1.0 - nu**2)
    c = _Constants(msh)
    c.mu.value, c.lmbda.value, c.kappa.value = mu, lmbda, 3.0 - 4.0 * nu
    c.r_in.value, c.r_out.value, c.L.value = r_in, r_out, L

    tdim = msh.topology.dim
    n_owned = msh.topology.index_map(tdim).size_local
    mid, rad = _cell_geometry(msh)
    mid, rad = mid[:n_owned], rad[:n_owned]
    face_data = []
    if crack_faces:
        msh.topology.create_connectivity(tdim - 1, tdim)
        msh.topology.create_connectivity(tdim, tdim - 1)
        for facets, _ in crack_faces:
            ent = np.asarray(fem.compute_integration_domains(fem.IntegralType.exterior_facet, msh.topology,
                                                             np.asarray(facets, dtype=np.int32))).reshape(-1, 2)
            face_data.append((ent, mid[ent[:, 0]]))
    compiled = {}

    def integral(x0, e1, e2, R, Ka):
        """The assembled interaction integral (all ranks) of the domain about x0 with frame (e1, e2)."""
        curved = bool(np.isfinite(R) and abs(R) < 1e4 * max(r_out, L))  # flatter: a straight front
        if curved not in compiled:
            ufl_form = _forms(msh, u, c, curved, list(crack_faces), quadrature_degree)
            compiled[curved] = (fem.compile_form(comm, ufl_form), ufl_form)
        cf, ufl_form = compiled[curved]
        c.x0.value, c.e1.value, c.e2.value, c.e3.value = x0, e1, e2, np.cross(e1, e2)
        c.R.value, c.sign.value = (R, np.sign(R)) if curved else (0.0, 1.0)
        near = np.linalg.norm(mid - x0, axis=1) - rad < 1.05 * reach
        subdomains = {fem.IntegralType.cell: [(1, np.flatnonzero(near).astype(np.int32))]}
        if crack_faces:
            subdomains[fem.IntegralType.exterior_facet] = [
                (i + 1, ent[np.linalg.norm(m - x0, axis=1) - rad[ent[:, 0]] < 1.05 * reach].ravel())
                for i, (ent, m) in enumerate(face_data)]
        form = fem.create_form(cf, [], msh, subdomains, {f: f for f in ufl_form.coefficients()},
                               {k: k for k in ufl_form.constants()})
        out = []
        for ka in Ka:
            c.Ka.value = ka
            out.append(comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM))
        return np.array(out)

    modes = (0, 1, 2) if symmetry is None else ((0,) if symmetry == "symmetric" else (1, 2))
    unit = np.eye(3)[list(modes)]
    factor = 1.0 if symmetry is None else 2.0
    ends = [(front.points[0], 0, front.arc[0] == front.extent[0]),
            (front.points[-1], 1, front.arc[-1] == front.extent[1])]
    I = np.zeros((len(front), 3))
    images = np.zeros(len(front), dtype=int)
    for k in range(len(front)):
        x0, e1, e2, R = front.points[k], front.ahead[k], front.normal[k], front.radius[k]
        total = integral(x0, e1, e2, R, unit)
        extent = list(front.extent)
        for p0, n, parity in planes:
            if abs(np.dot(x0 - p0, n)) < reach:  # the mirror image of the domain, with the real field's parity:
                M = np.eye(3) - 2.0 * np.outer(n, n)  # M u^a(M x) is the image frame's field with K_III^a negated
                image = integral(M @ x0 + 2.0 * np.dot(p0, n) * n, M @ e1, M @ e2, R, unit * [1.0, 1.0, -1.0])
                total = total + parity * image
                images[k] += 1
                for point, i, at_end in ends:  # and the front continues through the plane
                    if at_end and abs(np.dot(point - p0, n)) < 1e-6 * reach:
                        extent[i] = -np.inf if i == 0 else np.inf
        lo = max(-1.0, (extent[0] - front.arc[k]) / L)
        hi = min(1.0, (extent[1] - front.arc[k]) / L)
        I[k, list(modes)] = factor * total / (L * _weight_integral(lo, hi))
    K = np.column_stack([0.5 * Estar * I[:, 0], 0.5 * Estar * I[:, 1], mu * I[:, 2]])
    dc = None
    radii_dc = r_out * np.array([0.5, 1.0, 1.5, 2.0]) if dc_radii is None else np.asarray(dc_radii, dtype=float)
    if len(radii_dc):
        dc = displacement_correlation(u, E, nu, front, radii_dc, symmetry)
    info = {"r_in": r_in, "r_out": r_out, "half_length": L, "symmetry": symmetry, "mirror_images": images.tolist(),
            "quadrature_degree": quadrature_degree}
    return FrontResult(front, K, energy_release_rate(K, E, nu), dc, info)


# --- displacement correlation -----------------------------------------------------------------------------------


def evaluate(u, points):
    """``u`` at ``points`` (N, 3) on every rank (points outside the mesh give NaN). Collective.

    Of the owned cells whose bounding boxes hold a point, the one it lies in (its
    reference coordinates least outside the reference cell: with curved cells a point
    can lie in the hull of a neighbour's nodes) evaluates it, on the rank where that
    cell is best (the lowest rank on a tie): the same cell, so the same value, on any
    number of ranks.
    """
    from dolfinx import geometry

    u = getattr(u, "u", u)
    msh = u.function_space.mesh
    comm = msh.comm
    points = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, 3))
    n = len(points)
    n_owned = msh.topology.index_map(msh.topology.dim).size_local
    tree = geometry.bb_tree(msh, msh.topology.dim, padding=1e-10, entities=np.arange(n_owned, dtype=np.int32))
    candidates = geometry.compute_collisions_points(tree, points)
    nodes = msh.geometry.x[msh.geometry.dofmaps[0]]
    cmap = msh.geometry.cmaps[0]
    best_cell = np.full(n, -1, dtype=np.int32)
    outside = np.full(n, np.inf)
    for i in range(n):
        for cell in candidates.links(i):
            X = cmap.pull_back(points[i : i + 1], nodes[cell])[0]
            d = max(-X.min(), X.sum() - 1.0)  # simplices: > 0 outside
            if d < outside[i]:
                best_cell[i], outside[i] = cell, d
    outside[outside > 1e-6] = np.inf  # not in any owned cell
    everyone = np.array(comm.allgather(outside))  # (ranks, n)
    mine = (np.argmin(everyone, axis=0) == comm.rank) & np.isfinite(everyone.min(axis=0))
    bs = u.function_space.dofmap.index_map_bs
    values = np.zeros((n, bs))
    if mine.any():
        values[mine] = u.eval(points[mine], best_cell[mine]).reshape(-1, bs)
    values = comm.allreduce(values, op=MPI.SUM)
    values[~np.isfinite(everyone.min(axis=0))] = np.nan
    return values


def displacement_correlation(u, E, nu, front: CrackFront, radii, symmetry=None):
    """K_I, K_II, K_III along ``front`` from the crack-face displacements at ``radii`` behind it,
    extrapolated linearly to r = 0 (module docstring). Collective."""
    mu = E / (2.0 * (1.0 + nu))
    Estar = E / (1.0 - nu**2)
    radii = np.asarray(radii, dtype=float)
    delta = 1e-7 * radii.min()  # off the crack plane, on the chosen side
    pts = []
    for k in range(len(front)):
        for r in radii:
            base = front.points[k] - r * front.ahead[k]
            pts += [base + delta * front.normal[k], base - delta * front.normal[k]]
    vals = evaluate(u, np.array(pts)).reshape(len(front), len(radii), 2, 3)
    frame = np.stack([front.ahead, front.normal, front.tangent], axis=1)  # (N, 3 local, 3)
    local = np.einsum("kab,krsb->krsa", frame, vals)  # components in e1, e2, e3
    if symmetry is None:
        jump = local[:, :, 0] - local[:, :, 1]
    else:  # the mirror image of the upper face
        jump = 2.0 * local[:, :, 0]
        jump[:, :, [1] if symmetry == "antisymmetric" else [0, 2]] = 0.0
    scale = np.sqrt(2.0 * np.pi / radii)[None, :]
    apparent = np.stack([Estar / 8.0 * scale * jump[:, :, 1], Estar / 8.0 * scale * jump[:, :, 0],
                         mu / 4.0 * scale * jump[:, :, 2]], axis=-1)  # (N, radii, 3)
    if len(radii) == 1:
        return apparent[:, 0, :]
    A = np.column_stack([np.ones_like(radii), radii])
    coef = np.linalg.lstsq(A, apparent.transpose(1, 0, 2).reshape(len(radii), -1), rcond=None)[0]
    return coef[0].reshape(len(front), 3)


# --- maximum principal stress -----------------------------------------------------------------------------------


def max_principal_stress(u, E, nu, cells=None, points: str = "vertices"):
    """The largest principal stress of ``u`` over ``cells`` (local cell indices, e.g.
    ``cell_tags.find(tag)`` for a phase; default all) and where it is: ``(value, location)``.

    The stress is evaluated at the vertices and the midpoint of each owned cell
    (``points="vertices"``: for P2 on straight cells the stress is linear in a cell,
    so its maximum is at a vertex) or at its midpoint only (``"midpoint"``: the DG0
    cell value); E and nu may be numbers, UFL expressions or DG0 functions.
    Collective; every rank gets the same answer.
    """
    import basix

    u = getattr(u, "u", u)
    msh = u.function_space.mesh
    tdim = msh.topology.dim
    n_owned = msh.topology.index_map(tdim).size_local
    cells = np.arange(n_owned, dtype=np.int32) if cells is None else np.asarray(cells, dtype=np.int32)
    cells = cells[cells < n_owned]
    cell_type = basix.CellType[msh.topology.cell_name()]
    ref = basix.geometry(cell_type)
    centre = ref.mean(axis=0, keepdims=True)
    ref = np.vstack([ref, centre]) if points == "vertices" else centre
    sigma = stress(u, E, nu)
    x = ufl.SpatialCoordinate(msh)
    best, where = -np.inf, np.full(msh.geometry.dim, np.nan)
    if len(cells):
        s = fem.Expression(sigma, ref).eval(msh, cells).reshape(len(cells) * len(ref), tdim, tdim)
        xs = fem.Expression(x, ref).eval(msh, cells).reshape(len(cells) * len(ref), -1)
        lam = np.linalg.eigvalsh(s)[:, -1]
        i = int(np.argmax(lam))
        best, where = float(lam[i]), xs[i]
    all_best = msh.comm.allgather((best, msh.comm.rank, where))
    value, _, location = max(all_best, key=lambda t: (t[0], -t[1]))
    return value, np.asarray(location)
