"""What a transient run records at every accepted time step: the timeseries.csv rows, the
lowest surface concentration and where it sits (Sand's time), plated charge per surface,
the protocol steps and how each ended, and field snapshots for ParaView.

All integrals are compiled once; every rank computes every value (collective), so each
rank holds the same record and only rank 0 writes it.
"""

import numpy as np
import ufl
from dolfinx import fem, io
from mpi4py import MPI

from femli.analysis.gather import ElectrodeSurface
from femli.electrolytes import out_of_range


class TransientRecord:
    def __init__(self, model, out=None):
        self.model = model
        self.comm = model.domain.mesh.comm
        self.c_bulk = model.study.electrolyte.concentration
        c = model.concentration
        z = ufl.SpatialCoordinate(model.electrolyte.mesh)[2]
        z0, z1 = model.bundle.info.z_collector, model.bundle.info.z_separator
        height = (z - z0) / (z1 - z0)

        def compile(expr):
            return fem.form(expr, entity_maps=model.domain.entity_maps)

        self.names = list(model.electrodes)
        self._forms = {}
        for name in self.names:
            ds = model.surface_measure(name)
            j = model.plating_current(name)
            self._forms[name] = (compile(1.0 * ds), compile(j * ds), compile(j * height * ds))
        ds_counter = model.counter_measure()
        self._counter = (compile(1.0 * ds_counter), compile(model.phi * ds_counter))
        self._salt = compile(c.u * model.electrolyte.measure("dx"))
        self.area = {n: self._sum(self._forms[n][0]) for n in self.names}
        self.counter_area = self._sum(self._counter[0])
        coords = c.space.tabulate_dof_coordinates()
        owned = c.space.dofmap.index_map.size_local
        self._surface_dofs = {}
        for name in self.names:
            dofs = c.tagged_dofs(model.electrodes[name].tag)
            dofs = dofs[dofs < owned]
            self._surface_dofs[name] = (dofs, coords[dofs])
        counter = c.tagged_dofs(model.drive.counter_tag)
        self._counter_dofs = counter[counter < owned]
        self.surface = ElectrodeSurface(model)
        self._deposit_geometry(height)
        self.rows, self.steps = [], []
        self.plated = {n: 0.0 for n in self.names}  # C, since t = 0
        self.lowest = {n: {"min_concentration": self.c_bulk, "time": 0.0, "location": None} for n in self.names}
        self.sand = None  # {time, surface, location}
        self.current_scale = 0.0
        self.c_range = (self.c_bulk, self.c_bulk)  # the lowest and highest concentration anywhere, so far
        self._t_last, self._step_charge = 0.0, 0.0
        self._now = {}
        self._series = self._next_output = None
        self.resumed_at = None  # the time a resumed run continued from (its field series starts there)
        if out is not None and model.study.output.fields:
            self._open_series(out)

    def _deposit_geometry(self, height):
        """Facet heights, and the host's pores when there is a host: the electrolyte volume below
        the host top and the hydraulic pore diameter 4 V_pore / A_host."""
        state, model = self.model.surface_state, self.model
        info = model.bundle.info
        z = fem.Function(state.W)  # DG0: the facet centroid's height
        z.interpolate(lambda x: (x[2] - info.z_collector) / (info.z_separator - info.z_collector))
        owned = state.W.dofmap.index_map.size_local
        self._facet_height = z.x.array[:owned].copy()
        self.overstripped = 0.0
        self.capacity_to_top = None
        host_top = getattr(model.study.geometry, "host_top", None)
        self.top_height = self.pore_volume = self.pore_diameter = None
        if host_top is not None:
            self.top_height = host_top / (info.z_separator - info.z_collector)
            below = ufl.conditional(ufl.lt(height, self.top_height), 1.0, 0.0)
            self.pore_volume = self._sum(fem.form(below * model.electrolyte.measure("dx"), entity_maps=model.domain.entity_maps))
            self.pore_diameter = 4 * self.pore_volume / sum(self.area.values())

    def _deposit(self) -> dict:
        """Li volume, thickness and reach of the deposit now (collective)."""
        s = self.model.surface_state
        owned = s.W.dofmap.index_map.size_local
        h = s.thickness(s.charge.x.array[:owned])
        area = self.surface.area
        li = self.comm.allreduce(float(h @ area), op=MPI.SUM)
        thickest = self.comm.allreduce(float(h.max()) if owned else 0.0, op=MPI.MAX)
        on = s.nucleated.x.array[:owned] > 0.5
        # the deposit's front: the highest facet holding at least half the mean thickness (a facet
        # that merely nucleated is not yet a deposit that fills the pore)
        mean = li / sum(self.area.values())
        grown = h >= 0.5 * mean if mean > 0 else np.zeros(owned, dtype=bool)
        front = self.comm.allreduce(float(self._facet_height[grown].max()) if grown.any() else 0.0, op=MPI.MAX)
        nucleated = {name: self.comm.allreduce(float(area[on & (self.surface.cell_surface[:owned] == i)].sum()), op=MPI.SUM)
                     / self.area[name] for i, name in enumerate(self.names)}
        weighted = self.comm.allreduce(float((h * self._facet_height) @ area), op=MPI.SUM)
        return {"li_volume": li, "max_thickness": thickest, "front_height": front, "nucleated_fraction": nucleated,
                "deposit_centroid": weighted / li if li > 0 else None,
                "pore_filling": li / self.pore_volume if self.pore_volume else None}

    # ---- collective evaluations ---------------------------------------------------------------
    def _sum(self, form) -> float:
        return self.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def _lowest(self, name):
        """(min c, its location) on surface ``name``, equal on every rank."""
        dofs, xyz = self._surface_dofs[name]
        values = self.model.concentration.u.x.array[dofs]
        local = (float(values.min()), xyz[int(values.argmin())].tolist()) if len(values) else (np.inf, None)
        return min(self.comm.allgather(local), key=lambda v: v[0])

    def depletion(self, t=None) -> float:
        """min surface concentration / bulk (the Sand's-time indicator)."""
        return min(self._lowest(n)[0] for n in self.names) / self.c_bulk

    def counter_depletion(self, t=None) -> float:
        """min concentration on the counter boundary / bulk (a stripping Li counter runs out of salt)."""
        values = self.model.concentration.u.x.array[self._counter_dofs]
        return self.comm.allreduce(float(values.min()) if len(values) else np.inf, op=MPI.MIN) / self.c_bulk

    def cell_voltage(self) -> float:
        """Mean electrolyte potential on the counter boundary vs the electrode (V, > 0 when plating)."""
        area, phi = self._counter
        return self._sum(phi) / self.counter_area

    def total_current(self) -> float:
        """Plated current over every electrode (A); equals the applied current by charge conservation."""
        return sum(self._sum(self._forms[n][1]) for n in self.names)

    def step_charge(self, t) -> float:
        """Charge per counter area passed since the present protocol step began, at time t (C/m^2)."""
        return abs(self._step_charge + self.total_current() * (t - self._t_last)) / self.counter_area

    # ---- the record ---------------------------------------------------------------------------
    def begin_step(self, index, cycle, step, t):
        self.steps.append({"step": index, "cycle": cycle, "mode": step.mode, "start": t, "end": None,
                           "event": None, "event_time": None})
        self._step_charge, self._t_last = 0.0, t

    def sample(self, t, dt):
        """After an accepted step ending at t (of length dt), the surface currents updated."""
        owned = self.surface.W.dofmap.index_map.size_local
        facet = self.surface.current.x.array[self.surface.W.dofmap.list[:owned, 0]]
        row = {"time": t, "step": self.steps[-1]["step"], "cycle": self.steps[-1]["cycle"],
               "cell_voltage": self.cell_voltage()}
        total = 0.0
        for i, name in enumerate(self.names):
            area, current, weighted = self._forms[name]
            I = self._sum(current)
            total += I
            self.plated[name] += I * dt  # BDF's implicit end-point rule, like the solve
            mine = facet[self.surface.cell_surface[:owned] == i]
            peak = self.comm.allreduce(float(mine.max()) if len(mine) else -np.inf, op=MPI.MAX)
            low, where = self._lowest(name)
            if low < self.lowest[name]["min_concentration"]:
                self.lowest[name] = {"min_concentration": low, "time": t, "location": where}
            row |= {f"{name}.mean_current": I / self.area[name], f"{name}.max_current": peak,
                    f"{name}.min_concentration": low, f"{name}.plated_capacity": self.plated[name] / self.area[name]}
        row["applied_current_density"] = total / self.counter_area
        row["plated_capacity"] = sum(self.plated.values()) / self.counter_area
        centroid = sum(self._sum(self._forms[n][2]) for n in self.names)
        row["height_centroid"] = centroid / total if total != 0 else None
        row["salt_amount"] = self._sum(self._salt)
        values = self.model.concentration.u.x.array[: self.model.concentration.space.dofmap.index_map.size_local]
        self.c_range = (min(self.c_range[0], self.comm.allreduce(float(values.min()), op=MPI.MIN)),
                        max(self.c_range[1], self.comm.allreduce(float(values.max()), op=MPI.MAX)))
        self.current_scale = max(self.current_scale, abs(total))
        self._step_charge += total * dt
        self._t_last = t
        self.rows.append(row)
        if self._series is not None and t >= self._next_output * (1 - 1e-12):
            self._snapshot(t)

    def sample_deposit(self, overstripped=0.0):
        """After the facets' history took the step: the deposit into the step's row;
        ``overstripped``: charge (C) that stripping asked of bare facets on this rank."""
        self.overstripped += self.comm.allreduce(overstripped, op=MPI.SUM)
        row, deposit = self.rows[-1], self._deposit()
        row |= {"front_height": deposit["front_height"], "deposit_centroid": deposit["deposit_centroid"],
                "max_thickness": deposit["max_thickness"], "pore_filling": deposit["pore_filling"]}
        row |= {f"{n}.nucleated_fraction": f for n, f in deposit["nucleated_fraction"].items()}
        if self.capacity_to_top is None and self.top_height and deposit["front_height"] >= 0.95 * self.top_height:
            self.capacity_to_top = row["plated_capacity"]

    def end_step(self, stretch):
        s = self.steps[-1]
        s |= {"end": stretch.t, "event": stretch.event, "event_time": stretch.event_time,
              "time_steps": stretch.steps, "rejected_steps": stretch.rejected}
        if stretch.event == "sand":
            name = min(self.names, key=lambda n: self._lowest(n)[0])
            self.sand = {"time": stretch.event_time, "surface": name, "location": self._lowest(name)[1]}
        if self._series is not None and (not self._snapshots or self._snapshots[-1] < stretch.t):
            self._snapshot(stretch.t)

    _KEPT = ("rows", "steps", "plated", "lowest", "sand", "current_scale", "_t_last", "_step_charge",
             "overstripped", "capacity_to_top", "c_range")

    def state(self) -> dict:
        """What a checkpoint keeps of the record (the same on every rank)."""
        return {k: getattr(self, k) for k in self._KEPT}

    def load_state(self, state: dict):
        for k in self._KEPT:
            setattr(self, k, state[k])

    # ---- fields over time -----------------------------------------------------------------------
    def _open_series(self, out):
        from femli.results import on_root

        folder = out / "fields"
        on_root(self.comm, folder.mkdir, parents=True, exist_ok=True)
        msh = self.model.electrolyte.mesh
        self._P1 = fem.functionspace(msh, ("Lagrange", 1))
        self._out_fields = [(u, fem.Function(self._P1, name=u.name)) for u in
                            (self.model.concentration.u, self.model.phi)]
        self._series = io.XDMFFile(self.comm, str(folder / "transient.xdmf"), "w")
        self._series.write_mesh(msh)
        # the electrode facets over time: plating current, plated charge, nucleation (DG0)
        state = self.model.surface_state
        self._surface_series = io.XDMFFile(self.comm, str(folder / "transient_surface.xdmf"), "w")
        self._surface_series.write_mesh(state.submesh)
        self._surface_fields = (self.surface.current, state.charge, state.nucleated)
        self._interval = self.model.study.time.output_interval
        self._next_output = self._interval or float("inf")
        self._snapshots = []

    def _snapshot(self, t):
        for u, u1 in self._out_fields:
            u1.interpolate(u)
            self._series.write_function(u1, t)
        for f in self._surface_fields:
            self._surface_series.write_function(f, t)
        self._snapshots.append(t)
        if self._interval:
            while self._next_output <= t * (1 + 1e-12):
                self._next_output += self._interval

    def close(self):
        if self._series is not None:
            self._series.close()
            self._surface_series.close()
            self._series = None

    # ---- results --------------------------------------------------------------------------------
    def metrics(self) -> dict:
        """The transient blocks of metrics.json (DESIGN.md output contract), SI."""
        surfaces = {}
        for name in self.names:
            low = self.lowest[name]
            here = self.sand is not None and self.sand["surface"] == name
            surfaces[name] = {
                "min_concentration": low["min_concentration"],
                "min_concentration_time": low["time"],
                "min_concentration_location": low["location"],
                "sand_time": self.sand["time"] if here else None,
                "sand_location": self.sand["location"] if here else None,
                "plated_charge": self.plated[name],
                "plated_capacity": self.plated[name] / self.area[name],
            }
        amounts = [r["salt_amount"] for r in self.rows]
        deposit = self._deposit()
        for name in self.names:
            surfaces[name]["nucleated_fraction"] = deposit["nucleated_fraction"][name]
        warn = self.model.study.deposition.thickness_warning
        thick = self.pore_diameter is not None and deposit["max_thickness"] > warn * self.pore_diameter
        return {
            "surfaces": surfaces,
            "deposition": {
                "plated_capacity": sum(self.plated.values()) / self.counter_area,
                "pore_filling": deposit["pore_filling"],
                "front_height": deposit["front_height"],
                "deposit_centroid": deposit["deposit_centroid"],
                "max_thickness": deposit["max_thickness"],
                "capacity_to_host_top": self.capacity_to_top,
                "pore_diameter": self.pore_diameter,
                "thick_deposit": thick,
                "overstripped_charge": self.overstripped,
            },
            "transient": {
                "time": self.rows[-1]["time"] if self.rows else 0.0,
                "time_steps": len(self.rows),
                "protocol": self.steps,
                "sand_time": self.sand["time"] if self.sand else None,
                "resumed_at": self.resumed_at,
                "concentration_range": list(self.c_range),
                # a concentration-dependent property used outside the range its source fitted
                "property_range_warning": out_of_range(self.model.study.transport_properties(), *self.c_range,
                                                       self.model.study.operating.temperature),
                "salt_amount": {"first": amounts[0] if amounts else None, "last": amounts[-1] if amounts else None,
                                "max_relative_change": (max(amounts) - min(amounts)) / max(amounts) if amounts else 0.0},
            },
        }

    def csv(self) -> str:
        if not self.rows:
            return ""
        keys = list(self.rows[0])
        lines = [",".join(keys)]
        for r in self.rows:
            lines.append(",".join("" if r.get(k) is None else f"{r[k]:.10g}" for k in keys))
        return "\n".join(lines) + "\n"
