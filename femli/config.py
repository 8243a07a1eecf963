"""The study schema: a TOML study file validated into typed, SI-valued objects.

Every key has a default or is required, unknown keys are errors, and values
with units are converted to SI at load time. ``load_study`` turns a file into a
:class:`Study`; ``Study.updated`` makes a changed copy for parameter sweeps.
"""

import copy
import hashlib
import json
import math
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from femli import materials
from femli.errors import ConfigError
from femli.geometry import Geometry, MeshOptions
from femli.coatings import Coating
from femli.geometry.base import ELECTRODE_SURFACES, is_electrode_surface
from femli.units import (AreaResistance, ArealCapacity, Concentration, Conductivity, CurrentDensity, Diffusivity, Duration,
                         MolarVolume, NonNegativeVoltage, PositiveCurrentDensity, Temperature, Voltage)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelOptions(_Section):
    kind: Literal["secondary_current", "transient_transport"] = Field(
        "secondary_current", description="secondary_current: steady, ohmic electrolyte; transient_transport: "
        "salt concentration and potential over time (concentrated-solution theory), driven by [[protocol]]")
    degree: Literal[1, 2] = Field(1, description="Lagrange degree of the potential")


class Conductor(_Section):
    """An ionically conducting volume; ``material`` names a preset, explicit values override it."""

    _library: ClassVar[str] = "electrolyte"  # which preset table ``material`` names
    material: str | None = None
    conductivity: Conductivity | None = None

    @model_validator(mode="after")
    def _resolve(self):
        if self.conductivity is None:
            if self.material is None:
                raise ValueError("give 'conductivity' or a 'material' preset")
            object.__setattr__(self, "conductivity", materials.preset(self._library, self.material)["conductivity"])
        return self


def height_profile(points):
    """Validate [height fraction, factor] points of a piecewise-linear profile over the host height."""
    heights = [h for h, _ in points]
    if points and (heights != sorted(set(heights)) or not all(0 <= h <= 1 for h in heights)):
        raise ValueError(f"profile heights must increase strictly within [0, 1], got {heights}")
    if any(f <= 0 for _, f in points):
        raise ValueError("profile factors must be positive")
    return points


class Host(Conductor):
    """Finite electronic conductivity of the host (volume ``host``); without this section the
    host is a perfect conductor at phi_s = 0. ``material`` names a host preset (e.g. "Cu")."""

    _library: ClassVar[str] = "host"
    conductivity_profile: tuple[tuple[float, float], ...] = Field(
        (), description="conductivity-gradient host: [height fraction, factor on conductivity] points, piecewise linear")
    _profile = field_validator("conductivity_profile")(classmethod(lambda cls, p: height_profile(p)))


class Electrolyte(Conductor):
    """The main ion conductor (volume ``electrolyte``): a liquid electrolyte or a solid electrolyte.

    ``material`` names a constant preset (femli.materials) or a concentration- and
    temperature-dependent one (femli.electrolytes); an explicit value replaces the
    preset's property by that constant. The transport properties (diffusivity,
    transference number, thermodynamic factor) and ``concentration`` matter for
    model.kind = "transient_transport" only."""

    material: str | None = "LiPF6_EC_DMC_1M"
    concentration: Concentration = Field(1000.0, description="bulk (and initial) salt concentration, mol/m^3")
    diffusivity: Diffusivity | None = Field(None, description="salt diffusivity, m^2/s")
    transference_number: float | None = Field(None, gt=0, lt=1, description="cation transference number t+")
    thermodynamic_factor: float | None = Field(None, gt=0, description="1 + dln f/dln c")

    @model_validator(mode="after")
    def _resolve(self):
        if self.conductivity is None and self.varying() is not None:
            return self  # the study fills in kappa at the bulk concentration and temperature
        return super()._resolve()

    def varying(self):
        """The concentration-dependent preset named by ``material``, or None."""
        from femli import electrolytes

        return electrolytes.ELECTROLYTE_MODELS.get(self.material) if self.material else None


class Kinetics(_Section):
    """Electrode kinetics on one named surface.

    ``butler_volmer``: i = i0 [exp(aa F eta/RT) - exp(-ac F eta/RT)];
    ``linear``: i = i0 (aa + ac) F eta / RT;  ``tafel``: cathodic branch only;
    ``primary``: infinitely fast kinetics (eta = 0);  ``insulating``: no current
    (e.g. an insulating top coat), stated explicitly so no electrode is dropped by mistake.
    """

    model: Literal["butler_volmer", "linear", "tafel", "primary", "insulating"] = "butler_volmer"
    material: str | None = "li_liquid"
    exchange_current_density: PositiveCurrentDensity | None = None
    alpha_a: float | None = Field(None, gt=0, lt=1)
    alpha_c: float | None = Field(None, gt=0, lt=1)
    film_resistance: AreaResistance = Field(0.0, description="effective SEI resistance, ohm m^2")
    nucleation_overpotential: NonNegativeVoltage | None = Field(None, description="Li nucleation barrier on this surface, V")
    nucleation_width: Voltage = Field(0.003, gt=0, description="width of the smooth nucleation activation, V")
    exchange_current_profile: tuple[tuple[float, float], ...] = Field(
        (), description="graded surface: [height fraction of the host, factor on i0] points, piecewise linear")

    _profile = field_validator("exchange_current_profile")(classmethod(lambda cls, p: height_profile(p)))

    @model_validator(mode="after")
    def _resolve(self):
        if self.model == "primary" and self.nucleation_overpotential:
            raise ValueError("primary (infinitely fast) kinetics cannot carry a nucleation barrier: "
                             "set nucleation_overpotential = 0 or use butler_volmer")
        if self.film_resistance > 0 and self.model in ("butler_volmer", "tafel"):
            raise ValueError(f"film_resistance > 0 is supported with 'linear' or 'primary' kinetics only, not {self.model!r}")
        base = materials.preset("kinetics", self.material) if self.material else {}
        base.setdefault("nucleation_overpotential", 0.0)
        for key in ("exchange_current_density", "alpha_a", "alpha_c", "nucleation_overpotential"):
            if getattr(self, key) is None:
                if key not in base:
                    raise ValueError(f"'{key}' is required (no material preset given)")
                object.__setattr__(self, key, base[key])
        if self.model == "primary" and self.nucleation_overpotential:
            raise ValueError(f"primary (infinitely fast) kinetics cannot carry the nucleation barrier of preset "
                             f"{self.material!r}: set nucleation_overpotential = 0 or use butler_volmer")
        return self


class Operating(_Section):
    """Plating (the electrode is held at phi_s = 0, U = 0 for Li/Li+).

    galvanostatic: ``current_density`` (positive = plating) enters uniformly through the
    ``counter`` boundary.  potentiostatic: the electrolyte potential on ``counter`` is
    held at ``voltage`` (positive = plating) relative to the electrode.
    """

    mode: Literal["galvanostatic", "potentiostatic"] = "galvanostatic"
    current_density: PositiveCurrentDensity = 20.0  # 2 mA/cm^2
    voltage: Voltage | None = None
    counter: str = "separator"
    counter_salt: Literal["bulk", "lithium"] = Field(
        "bulk", description="transient transport: the counter boundary holds the bulk concentration, or is a Li "
        "electrode whose salt flux balances its current (a closed Li|Li cell)")
    temperature: Temperature = 298.15

    @model_validator(mode="after")
    def _mode(self):
        if self.mode == "potentiostatic" and (self.voltage is None or self.voltage <= 0):
            raise ValueError("potentiostatic mode needs a positive 'voltage' (e.g. '50 mV') driving plating")
        unused = {"potentiostatic": "current_density", "galvanostatic": "voltage"}[self.mode]
        if unused in self.model_fields_set and getattr(self, unused) is not None:
            raise ValueError(f"'{unused}' has no effect in {self.mode} mode: remove it or change 'mode'")
        return self


class ProtocolStep(_Section):
    """One step of a transient protocol ([[protocol]] entries, run in order).

    galvanostatic: ``current_density`` enters at the counter boundary (> 0 plates Li on the
    electrodes, < 0 strips); potentiostatic: the counter boundary is held at ``voltage``
    (> 0 plates); rest: no current. Each step ends after ``duration``, or when the plated
    (stripped) ``capacity`` per counter area is reached, or at ``voltage_limit`` (|cell
    voltage|, galvanostatic), whichever comes first; Sand's time ends a plating
    galvanostatic step too (time.on_sand says whether the protocol goes on)."""

    mode: Literal["galvanostatic", "potentiostatic", "rest"]
    current_density: CurrentDensity | None = None
    voltage: Voltage | None = None
    duration: Duration | None = None
    capacity: ArealCapacity | None = Field(None, description="charge per counter area, e.g. '1 mAh/cm^2'")
    voltage_limit: NonNegativeVoltage | None = None

    @model_validator(mode="after")
    def _complete(self):
        needs = {"galvanostatic": "current_density", "potentiostatic": "voltage"}.get(self.mode)
        if needs and getattr(self, needs) is None:
            raise ValueError(f"a {self.mode} step needs '{needs}'")
        if needs and getattr(self, needs) == 0:
            raise ValueError(f"{needs} = 0: use mode = 'rest' for a step without current")
        given = {k for k in ("current_density", "voltage", "voltage_limit", "capacity") if getattr(self, k) is not None}
        allowed = {"galvanostatic": {"current_density", "voltage_limit", "capacity"},
                   "potentiostatic": {"voltage", "capacity"}, "rest": set()}[self.mode]
        if given - allowed:
            raise ValueError(f"{sorted(given - allowed)} have no effect in a {self.mode} step")
        if self.duration is None and self.capacity is None:
            raise ValueError(f"a {self.mode} step needs an end: 'duration'" + ("" if self.mode == "rest" else " or 'capacity'"))
        return self

    def end_time(self) -> float:
        """The step's length when nothing ends it earlier (a galvanostatic capacity is a duration)."""
        ends = [self.duration] if self.duration is not None else []
        if self.capacity is not None and self.mode == "galvanostatic":
            ends.append(self.capacity / abs(self.current_density))
        return min(ends) if ends else float("inf")


class TimeOptions(_Section):
    """Adaptive time stepping (variable-step BDF2, femli.core.time) and events of transient runs."""

    rtol: float = Field(1e-3, gt=0, lt=1, description="local error per step, relative to the bulk concentration")
    initial_step: Duration = Field(1e-3, description="first step after every protocol change, s")
    min_step: Duration = Field(1e-9, description="a step that must shrink below this is a solver failure, s")
    max_step: Duration | None = Field(None, description="upper bound on the step, s")
    max_steps: int = Field(100_000, gt=0, description="time steps per protocol step")
    sand_tolerance: float = Field(1e-3, gt=0, lt=0.5, description="Sand's time is reached when the lowest surface "
                                  "concentration falls to this fraction of the bulk value")
    on_sand: Literal["stop", "next"] = Field("stop", description="after Sand's time (or a stripping Li counter running "
                                             "out of salt): end the run, or go on with the next step")
    cycles: int = Field(1, ge=1, description="run the [[protocol]] steps this many times")
    output_interval: Duration | None = Field(None, description="field snapshots this often (s); always at each step's end")
    checkpoint_interval: Duration = Field(300.0, description="wall-clock seconds between checkpoints "
                                          "(femli run --resume continues from the last one)")


class Deposition(_Section):
    """Deposition history of transient runs (femli.physics.deposition): plated charge per facet,
    nucleation, Li-on-Li kinetics where Li has nucleated."""

    nucleation_charge: ArealCapacity = Field(7.42, description="charge per area after which a facet is Li "
                                             "(C/m^2; default: a 1 nm Li film, q = F h / V_m)")
    li_kinetics: str = Field("li_liquid", description="kinetics preset of plating on Li metal")
    molar_volume: MolarVolume = Field(1.30e-5, description="molar volume of Li, m^3/mol")
    thickness_warning: float = Field(0.2, gt=0, description="flag a run whose largest local Li thickness exceeds "
                                     "this fraction of the host's hydraulic pore diameter 4 V_pore / A_host")

    @field_validator("li_kinetics")
    @classmethod
    def _preset(cls, name):
        base = materials.preset("kinetics", name)
        if base.get("nucleation_overpotential", 0.0):
            raise ValueError(f"li_kinetics preset {name!r} has a nucleation barrier: Li on Li needs none")
        return name


class Solver(_Section):
    method: Literal["iterative", "direct"] = Field(
        "iterative", description="iterative: CG + GAMG; direct: MUMPS LU (small problems)"
    )
    newton_rtol: float = Field(1e-10, gt=0)
    newton_atol: float = Field(0.0, ge=0, description="absolute residual tolerance in A; 0 = judge by newton_rtol alone")
    newton_stol: float = Field(1e-12, ge=0, description="stop when the Newton update is this small relative to the solution")
    newton_max_it: int = Field(50, gt=0)
    krylov_rtol: float = Field(1e-10, gt=0)
    krylov_max_it: int = Field(1000, gt=0)
    continuation_steps: int = Field(1, ge=1, description="ramp the applied current in this many steps")
    petsc_options: dict[str, str | int | float | bool] = Field(default_factory=dict, description="extra PETSc options")


class Output(_Section):
    fields: bool = True
    report: bool = True
    hot_spot_factor: float = Field(2.0, gt=1, description="hot spot = connected surface region above factor x mean")


class Study(_Section):
    name: str = "study"
    description: str = ""
    geometry: Geometry
    mesh: MeshOptions = MeshOptions()
    model: ModelOptions = ModelOptions()
    electrolyte: Electrolyte = Electrolyte()
    host: Host | None = Field(None, description="finite electronic conductivity of the host; absent = perfect conductor")
    phases: dict[str, Conductor] = Field(default_factory=dict, description="other conducting volumes by name")
    coatings: tuple[Coating, ...] = Field((), description="coatings applied to host facets after meshing, in order")
    kinetics: dict[str, Kinetics] = Field(description="electrode surfaces by name; other surfaces are insulating")
    operating: Operating = Operating()
    protocol: tuple[ProtocolStep, ...] = Field((), description="transient runs: the steps, in order")
    time: TimeOptions = TimeOptions()
    deposition: Deposition = Deposition()
    solver: Solver = Solver()
    output: Output = Output()
    _source: dict = PrivateAttr(default_factory=dict)  # the input as given, before presets were resolved

    @model_validator(mode="before")
    @classmethod
    def _mesh_host(cls, data):
        """[host] needs the host meshed: set geometry.mesh_host (a geometry key, so the mesh cache sees it)."""
        if (isinstance(data, dict) and data.get("host") is not None and isinstance(data.get("geometry"), dict)
                and data["geometry"].get("kind") in _HOST_KINDS):  # other kinds are refused by _host below
            data = dict(data)  # never write into the caller's (or _source's) dict
            data["geometry"] = dict(data["geometry"]) | {"mesh_host": True}
        return data

    @model_validator(mode="after")
    def _host(self):
        meshed = getattr(self.geometry, "mesh_host", False)
        if self.host is not None and not hasattr(self.geometry, "mesh_host"):
            raise ValueError(f"host: geometry kind {self.geometry.kind!r} has no host to conduct electrons "
                             "(finite host conductivity needs a host geometry: pillar_array, channel_array, "
                             "fiber_mat, open_foam or stacked_screens)")
        if meshed and self.host is None:
            raise ValueError("geometry.mesh_host = true needs a [host] section with the host's conductivity")
        if self.host is not None:
            primary = [n for n, k in self.kinetics.items() if k.model == "primary"]
            if primary:
                raise ValueError(f"host: primary kinetics on {primary} are not supported with finite host conductivity")
        return self

    @model_validator(mode="after")
    def _surfaces(self):
        if not self.kinetics:
            raise ValueError("kinetics: name at least one electrode surface")
        unknown = [n for n in self.kinetics if not is_electrode_surface(n)]
        if unknown:
            raise ValueError(
                f"kinetics: {unknown} cannot carry an electrode reaction; electrode surfaces are {list(ELECTRODE_SURFACES)}"
            )
        graded = [n for n, k in self.kinetics.items() if k.exchange_current_profile]
        if graded and not hasattr(self.geometry, "host_top"):
            raise ValueError(f"kinetics.{graded[0]}.exchange_current_profile: geometry kind {self.geometry.kind!r} has no host height")
        if self.coatings and not hasattr(self.geometry, "host_top"):
            raise ValueError(f"coatings: geometry kind {self.geometry.kind!r} has no host surface to coat")
        uncoated = [c.surface for c in self.coatings if c.surface not in self.kinetics]
        if uncoated:
            raise ValueError(f"coatings: give the kinetics of {uncoated} in [kinetics.{uncoated[0]}] "
                             "(model = 'insulating' for an insulating coat)")
        if self.operating.counter in self.kinetics:
            raise ValueError(f"operating.counter {self.operating.counter!r} cannot also be an electrode in [kinetics]")
        return self

    @model_validator(mode="after")
    def _transient(self):
        transient = self.model.kind == "transient_transport"
        if self.protocol and not transient:
            raise ValueError("protocol: [[protocol]] steps need model.kind = 'transient_transport'")
        e = self.electrolyte
        if e.conductivity is None:  # a concentration-dependent preset: kappa at the bulk state for steady use
            object.__setattr__(e, "conductivity", float(e.varying().conductivity(e.concentration, self.operating.temperature)))
        if not transient:
            return self
        if not self.protocol:
            raise ValueError("model.kind = 'transient_transport' needs [[protocol]] steps (mode, current or voltage, end)")
        steady = [k for k in ("mode", "current_density", "voltage") if k in self.operating.model_fields_set]
        if steady:
            raise ValueError(f"operating.{steady[0]}: a transient run is driven by [[protocol]], not by [operating]")
        if self.host is not None:
            raise ValueError("host: finite host conductivity with transient transport is not supported yet")
        if self.phases:
            raise ValueError(f"phases: transient transport in a single electrolyte volume only, not {sorted(self.phases)}")
        primary = [n for n, k in self.kinetics.items() if k.model == "primary"]
        if primary:
            raise ValueError(f"kinetics.{primary[0]}: primary (infinitely fast) kinetics is not supported with transient "
                             "transport; give butler_volmer or linear kinetics")
        if self.operating.counter_salt == "lithium" and any(s.mode == "potentiostatic" for s in self.protocol):
            raise ValueError("operating.counter_salt = 'lithium' with a potentiostatic step: hold the bulk "
                             "concentration at the counter (counter_salt = 'bulk') for potentiostatic steps")
        self.transport_properties()  # refuses a preset without transport values now, not after meshing
        return self

    def transport_properties(self):
        """The electrolyte's kappa, D, t+ and thermodynamic factor as a femli.electrolytes model."""
        from femli import electrolytes

        e = self.electrolyte
        base = e.varying()
        if base is None:
            preset = materials.preset("electrolyte", e.material) if e.material else {}
            values = {k: getattr(e, k) if getattr(e, k) is not None else preset.get(k)
                      for k in ("conductivity", "diffusivity", "transference_number")}
            missing = [k for k, v in values.items() if v is None]
            if missing:
                raise ValueError(f"electrolyte.{missing[0]} is needed for transient transport "
                                 f"({'preset ' + repr(e.material) + ' has none' if e.material else 'no material preset given'})")
            return electrolytes.constant_electrolyte(
                values["conductivity"], values["diffusivity"], values["transference_number"],
                e.thermodynamic_factor or 1.0, name=e.material or "constant")
        overrides = {k: getattr(e, k) for k in ("conductivity", "diffusivity", "transference_number", "thermodynamic_factor")
                     if k in e.model_fields_set}
        if not overrides:
            return base
        from dataclasses import replace

        fixed = {k: electrolytes.Correlation(electrolytes.constant, float(v), "given by the study", c_scale=1.0)
                 for k, v in overrides.items()}
        return replace(base, correlations={**base.correlations, **fixed},
                       sources={**base.sources, **{k: "given by the study" for k in overrides}})

    @model_validator(mode="after")
    def _mesh_size(self):
        """A mesh far too large for the machine is refused here, before Gmsh runs for hours."""
        self.mesh.check_cells(self.geometry)
        return self

    def resolved(self) -> dict[str, Any]:
        """The full study in SI, every default filled in (what `femli check` prints)."""
        return self.model_dump(mode="json")

    def study_hash(self) -> str:
        """Key of everything the study resolves to (a checkpoint resumes only the same study)."""
        return hashlib.sha256(json.dumps(self.resolved(), sort_keys=True).encode()).hexdigest()[:16]

    def mesh_hash(self) -> str:
        """Key of the mesh cache: everything that changes the mesh, nothing else."""
        from femli import __version__

        payload = json.dumps(
            {
                "geometry": self.geometry.model_dump(mode="json"),
                "mesh": self.mesh.model_dump(mode="json", exclude={"max_cells"}),  # a limit, not the mesh
                "femli": __version__,
                "builders": _builder_fingerprint(),
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def updated(self, changes: dict[str, Any], origin: str = "(from Python)") -> "Study":
        """A validated copy with dotted-key changes, e.g. {"operating.current_density": "4 mA/cm^2"}.

        Changes apply to the study as given (not as resolved), so changing a
        ``material`` preset changes the values taken from it. A value of None
        removes the key: it falls back to its default.
        """
        data = copy.deepcopy(self._source) if self._source else self.resolved()
        for dotted, value in changes.items():
            node = data
            *parents, leaf = dotted.split(".")
            for key in parents:  # sections left to their defaults are created; validation catches typos
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    raise ConfigError(f"{dotted}: {key!r} is a value, not a section of the study")
            if value is None:
                node.pop(leaf, None)
            else:
                node[leaf] = copy.deepcopy(value)  # later changes must not write into the caller's objects
        return study_from_dict(data, origin)


def _builder_fingerprint() -> str:
    """Hash of the geometry and meshing code, so a changed builder never reuses a stale cached mesh."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("geometry/*.py"), root / "mesh.py"]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_GEOMETRY_KINDS = {cls.model_fields["kind"].annotation.__args__[0] for cls in get_args(get_args(Geometry)[0])}
_HOST_KINDS = {cls.model_fields["kind"].annotation.__args__[0] for cls in get_args(get_args(Geometry)[0])
               if "mesh_host" in cls.model_fields}


def _format_validation(err: ValidationError, origin: str) -> str:
    lines = [f"invalid study {origin}:"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-") and p not in _GEOMETRY_KINDS)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check spelling; see docs/study-reference.md)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"  {loc}: {msg}" if loc else f"  {msg}")  # study-level checks name their keys
    return "\n".join(lines)


def _nonfinite(node, path=()):
    """(dotted key, value) of every inf or nan float in ``node`` (input data or a validated model)."""
    if isinstance(node, BaseModel):
        items = ((k, getattr(node, k)) for k in type(node).model_fields)
    elif isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        if isinstance(node, float) and not math.isfinite(node):
            yield ".".join(map(str, path)), node
        return
    for key, value in items:
        yield from _nonfinite(value, (*path, key))


def _refuse_nonfinite(node, origin: str) -> None:
    """inf and nan are refused at load for every key, unit-typed or plain float, naming the key."""
    bad = list(_nonfinite(node))
    if bad:
        raise ConfigError("\n".join([f"invalid study {origin}:"] +
                                     [f"  {key}: must be a finite number, got {value!r}" for key, value in bad]))


def study_from_dict(data: dict[str, Any], origin: str = "(from Python)") -> Study:
    _refuse_nonfinite(data, origin)  # before the validators compute with them
    try:
        study = Study.model_validate(data)
        study._source = copy.deepcopy(data)
    except ValidationError as err:
        raise ConfigError(_format_validation(err, origin)) from None
    except ConfigError as err:  # preset lookups inside validators
        raise ConfigError(f"invalid study {origin}: {err}") from None
    _refuse_nonfinite(study, origin)  # e.g. the string "inf" given for a plain float key
    return study


def read_toml(path: Path, what: str = "study") -> dict:
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{what} file {path} is a directory, not a TOML file")
    if not path.is_file():
        raise ConfigError(f"{what} file not found: {path}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} file {path} is not a text TOML file (it is not UTF-8 text)") from None
    except OSError as err:
        raise ConfigError(f"{what} file {path} cannot be read ({err.strerror or err})") from None
    if "\x00" in text:
        raise ConfigError(f"{what} file {path} is not a text TOML file (it contains NUL bytes)")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None


def load_study(path: str | Path) -> Study:
    path = Path(path)
    data = read_toml(path)
    data.setdefault("name", path.stem)
    return study_from_dict(data, origin=str(path))
