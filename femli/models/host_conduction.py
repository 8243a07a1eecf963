"""Secondary current distribution with a host of finite electronic conductivity.

The host (volume ``host``, phi_s, sigma_s) and the electrolyte (volume
``electrolyte``, phi, kappa) are sub-meshes of one parent mesh
(femli.physics.interface); one blocked Newton solves for (phi, phi_s):

    div(kappa grad phi) = 0,  div(sigma_s grad phi_s) = 0
    phi_s = 0                                on host_collector (pillar bottoms on the collector)
    i_loc(phi_s - phi) leaves the host and enters the electrolyte on each host surface (interior facets)
    -kappa grad(phi).n = -i_loc(-phi)        on current_collector (the plate, phi_s = 0)
    -kappa grad(phi).n = -i_app              on the counter boundary (galvanostatic), or phi = V

Analysis runs on the electrolyte sub-mesh: there the host surfaces are exterior
facets, and the trace of phi_s (P1: its vertex values) is copied onto the
electrolyte sub-mesh, so ``ds``, ``plating_current`` and the facet analysis of
femli.analysis work unchanged. The linear solver is MUMPS (direct) in this first version.
"""

import dataclasses

import numpy as np
import ufl
from dolfinx import fem, mesh as dmesh
from dolfinx.fem.petsc import NonlinearProblem

from femli.errors import ConfigError, SolverError
from femli.models.secondary_current import SecondaryCurrent
from femli.physics import conduction as ohm
from femli.physics import interface as gamma
from femli.solvers import SolveStats, newton_solve, petsc_options, unique_prefix


def _sub_entities(parent, sub, cell_map, dim):
    """Parent entity -> sub-mesh entity of dimension ``dim`` (-1 where absent), via the cells.

    create_submesh keeps each cell's vertex order, so the k-th entity of a sub
    cell is the k-th entity of its parent cell.
    """
    tdim = parent.topology.dim
    parent.topology.create_connectivity(tdim, dim)
    sub.topology.create_connectivity(tdim, dim)
    ncells = sub.topology.index_map(tdim).size_local + sub.topology.index_map(tdim).num_ghosts
    cells = np.arange(ncells, dtype=np.int32)
    pcells = cell_map.sub_topology_to_topology(cells, inverse=False)
    pc, sc = parent.topology.connectivity(tdim, dim), sub.topology.connectivity(tdim, dim)
    k = pc.offsets[1] - pc.offsets[0]
    p_ent = pc.array.reshape(-1, k)[pcells]
    s_ent = sc.array.reshape(-1, k)[cells]
    n_parent = parent.topology.index_map(dim).size_local + parent.topology.index_map(dim).num_ghosts
    out = np.full(n_parent, -1, dtype=np.int32)
    out[p_ent.ravel()] = s_ent.ravel()
    return out


def _vertex_dofs(parent, space, cell_map):
    """Parent vertex -> dof of the P1 ``space`` on a sub-mesh (-1 where absent)."""
    tdim = parent.topology.dim
    sub = space.mesh
    parent.topology.create_connectivity(tdim, 0)
    ncells = sub.topology.index_map(tdim).size_local + sub.topology.index_map(tdim).num_ghosts
    cells = np.arange(ncells, dtype=np.int32)
    pcells = cell_map.sub_topology_to_topology(cells, inverse=False)
    pc = parent.topology.connectivity(tdim, 0)
    p_vert = pc.array.reshape(-1, 4)[pcells]
    dofs = space.dofmap.list[cells]  # P1 on tetrahedra: local dof k sits at local vertex k
    n = parent.topology.index_map(0).size_local + parent.topology.index_map(0).num_ghosts
    out = np.full(n, -1, dtype=np.int32)
    out[p_vert.ravel()] = dofs.ravel()
    return out


class HostConduction(SecondaryCurrent):
    # one fixed rule on every electrode surface, in the solve and in the analysis: the
    # kinetics are not polynomial, and the same rule makes the facet sums balance the
    # applied current to solver tolerance (the degree the solve's forms get by estimation)
    QUADRATURE = {"quadrature_degree": 4}

    def __init__(self, study, mesh):
        self.study, self.parent_bundle = study, mesh
        if study.model.degree != 1:
            raise ConfigError("host conduction supports model.degree = 1 only")
        msh = mesh.mesh
        tdim = msh.topology.dim
        names = mesh.names
        if "host" not in names or names["host"][0] != 3:
            raise ConfigError("[host] needs a geometry with a meshed 'host' volume (geometry.mesh_host)")
        extra = sorted(n for n, (d, _) in names.items() if d == 3 and n not in ("electrolyte", "host"))
        if extra or study.phases:
            raise ConfigError(f"host conduction: other volumes/phases are not supported yet ({extra or list(study.phases)})")
        host_tag, elyte_tag = mesh.tag("host", 3), mesh.tag("electrolyte", 3)

        # host cells including ghosts: mark owned cells, then scatter to the ghosts
        marker = fem.Function(fem.functionspace(msh, ("DG", 0)))
        cmap = msh.topology.index_map(tdim)
        owned = mesh.cell_tags.find(host_tag)
        marker.x.array[owned[owned < cmap.size_local]] = 1.0
        marker.x.scatter_forward()
        ncells = cmap.size_local + cmap.num_ghosts
        host_cells = np.flatnonzero(marker.x.array[marker.function_space.dofmap.list[np.arange(ncells), 0]] > 0.5).astype(np.int32)
        (self.host, hmap), (self.elyte, emap) = gamma.split(msh, host_cells)
        self.entity_maps = [hmap, emap]

        # ---- the coupled problem on the parent mesh -------------------------------------------
        self.Vs = fem.functionspace(self.host, ("Lagrange", 1))
        self.V = fem.functionspace(self.elyte, ("Lagrange", 1))
        self.phi_s, self.phi = fem.Function(self.Vs, name="host_potential"), fem.Function(self.V, name="potential")
        self.w_s, self.v = ufl.TestFunction(self.Vs), ufl.TestFunction(self.V)
        self.bundle = mesh  # kinetics and profiles in parent coordinates for the solve
        self.sigma_s = study.host.conductivity * self.height_profile(study.host.conductivity_profile, msh)
        kappa_p = fem.Constant(msh, study.electrolyte.conductivity)
        dx_p = ufl.Measure("dx", domain=msh, subdomain_data=mesh.cell_tags)
        ds_p = ufl.Measure("ds", domain=msh, subdomain_data=mesh.facet_tags, metadata=self.QUADRATURE)  # electrolyte-only tags below
        self.counter_tag = mesh.tag(study.operating.counter)
        self.galvanostatic = study.operating.mode == "galvanostatic"
        self.drive = fem.Constant(msh, study.operating.current_density if self.galvanostatic else study.operating.voltage)

        kin_parent = self._electrodes()
        interface_tags = [n for n in kin_parent if n != "current_collector"]
        data = [(tag, gamma.interface_entities(msh, host_cells, mesh.facet_tags.find(tag)).ravel())
                for tag, _ in (kin_parent[n] for n in interface_tags)]
        dS = ufl.Measure("dS", domain=msh, subdomain_data=data, metadata=self.QUADRATURE)

        F_phi = ohm.conduction(self.phi, self.v, kappa_p, dx_p(elyte_tag))
        F_phis = ohm.conduction(self.phi_s, self.w_s, self.sigma_s, dx_p(host_tag))
        for name in interface_tags:
            tag, kin = kin_parent[name]
            i_loc = kin.current(gamma.overpotential(self.phi_s, self.phi))
            F_phi += gamma.electrolyte_inflow(i_loc, self.v, dS(tag))
            F_phis += gamma.host_outflow(i_loc, self.w_s, dS(tag))
        if "current_collector" in kin_parent:  # the plate between the pillars: phi_s = 0
            tag, kin = kin_parent["current_collector"]
            F_phi += ohm.electrode(kin.current(-self.phi), self.v, ds_p(tag))

        # ---- the electrolyte sub-mesh with the parent's tags, for analysis and output -----------
        facet_map = _sub_entities(msh, self.elyte, emap, tdim - 1)
        ft = mesh.facet_tags
        keep = facet_map[ft.indices] >= 0
        sub_f, order = np.unique(facet_map[ft.indices[keep]], return_index=True)
        self.elyte.topology.create_connectivity(tdim - 1, tdim)
        facet_tags = dmesh.meshtags(self.elyte, tdim - 1, sub_f, ft.values[keep][order])
        ne = self.elyte.topology.index_map(tdim).size_local + self.elyte.topology.index_map(tdim).num_ghosts
        cell_tags = dmesh.meshtags(self.elyte, tdim, np.arange(ne, dtype=np.int32), np.full(ne, elyte_tag, dtype=np.int32))
        self.bundle = dataclasses.replace(mesh, mesh=self.elyte, cell_tags=cell_tags, facet_tags=facet_tags)
        self.ds = ufl.Measure("ds", domain=self.elyte, subdomain_data=facet_tags, metadata=self.QUADRATURE)
        self.dx = ufl.Measure("dx", domain=self.elyte, subdomain_data=cell_tags)
        self.dx_host = ufl.Measure("dx", domain=self.host)
        self.kappa = fem.Constant(self.elyte, study.electrolyte.conductivity)
        self.volumes = {"electrolyte": elyte_tag}
        self.electrodes = self._electrodes()  # the same kinetics in electrolyte coordinates
        # P1 trace of phi_s on the electrolyte sub-mesh (exact on the interface: shared vertices)
        self.phi_s_trace = fem.Function(self.V, name="host_potential_trace")
        ev, hv = _vertex_dofs(msh, self.V, emap), _vertex_dofs(msh, self.Vs, hmap)
        both = (ev >= 0) & (hv >= 0)
        self._trace_dofs = (ev[both], hv[both])

        bcs = []
        if self.galvanostatic:
            F_phi += ohm.inflow(self.drive, self.v, ds_p(self.counter_tag))
        else:
            bcs.append(fem.dirichletbc(self.drive, self._boundary_dofs(self.counter_tag), self.V))
        z0 = mesh.info.z_collector
        eps = 1e-9 * (mesh.info.z_separator - z0)
        collector = dmesh.locate_entities_boundary(self.host, tdim - 1, lambda x: np.abs(x[2] - z0) < eps)
        bcs.append(fem.dirichletbc(0.0, fem.locate_dofs_topological(self.Vs, tdim - 1, collector), self.Vs))
        self.F, self.F_phi, self.F_phis, self.bcs = [F_phi, F_phis], F_phi, F_phis, bcs
        self._bc_targets = [(bc, self.phi) for bc in bcs[:-1]] + [(bcs[-1], self.phi_s)]

    def _boundary_dofs(self, tag):
        """Dofs of phi on a tagged boundary of the electrolyte sub-mesh."""
        return fem.locate_dofs_topological(self.V, 2, self.bundle.facet_tags.find(tag))

    def overpotential(self):
        """eta = phi_s - phi on the electrolyte sub-mesh (phi_s as its trace on the host surfaces)."""
        return self.phi_s_trace - self.phi

    def _eta(self, name):
        return -self.phi if name == "current_collector" else self.overpotential()

    def plating_current(self, name: str):
        _, kin = self.electrodes[name]
        return -kin.current(self._eta(name))

    def boundary_current(self, tag: int) -> float:
        """Current leaving the electrolyte through a Dirichlet boundary of phi, from the weak residual."""
        w = fem.Function(self.V)
        w.x.array[self._boundary_dofs(tag)] = 1.0
        local = fem.assemble_scalar(fem.form(ufl.replace(self.F_phi, {self.v: w}), entity_maps=self.entity_maps))
        return -self.V.mesh.comm.allreduce(local)

    def power_split(self) -> dict:
        comm = self.V.mesh.comm
        ohmic = fem.assemble_scalar(fem.form(ufl.inner(self.kappa * ufl.grad(self.phi), ufl.grad(self.phi)) * self.dx))
        sigma = self.study.host.conductivity * self.height_profile(self.study.host.conductivity_profile, self.host)
        ohmic += fem.assemble_scalar(fem.form(sigma * ufl.inner(ufl.grad(self.phi_s), ufl.grad(self.phi_s)) * self.dx_host))
        kinetic = sum(
            fem.assemble_scalar(fem.form(kin.current(self._eta(n)) * self._eta(n) * self.ds(tag)))
            for n, (tag, kin) in self.electrodes.items()
        )
        return {"ohmic": comm.allreduce(ohmic), "charge_transfer": comm.allreduce(kinetic)}

    @property
    def is_linear(self) -> bool:
        return False

    def _update_trace(self):
        self.phi_s.x.scatter_forward()
        e, h = self._trace_dofs
        self.phi_s_trace.x.array[e] = self.phi_s.x.array[h]

    def solve(self):
        opts = petsc_options(self.study.solver)
        # first version: one direct solve per Newton step (the blocked system has no GAMG set-up yet)
        opts = {k: v for k, v in opts.items() if not k.startswith(("ksp_", "pc_", "mg_"))}
        opts |= {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
        opts |= dict(self.study.solver.petsc_options)
        problem = NonlinearProblem(
            self.F, [self.phi, self.phi_s], bcs=self.bcs, kind="mpi", entity_maps=self.entity_maps,
            petsc_options_prefix=unique_prefix("host_conduction"), petsc_options=opts,
        )
        target = float(self.drive.value)
        stats = SolveStats()
        done, step = 0.0, 1.0 / self.study.solver.continuation_steps
        saved = [self.phi.x.array.copy(), self.phi_s.x.array.copy()]
        while done < 1.0 - 1e-12:
            load = min(1.0, done + step)
            self.drive.value = load * target
            for bc, u in self._bc_targets:
                bc.set(u.x.array)
            reason = newton_solve(problem, stats, load)
            if reason > 0:
                done, saved = load, [self.phi.x.array.copy(), self.phi_s.x.array.copy()]
                continue
            self.phi.x.array[:], self.phi_s.x.array[:] = saved
            step /= 2
            if step < 1.0 / 64:
                raise SolverError(f"host conduction: Newton did not converge at load factor {load:.3g} (SNES reason {reason})")
        stats.converged = True
        self.problem = problem
        self._update_trace()
        return stats

    def dofs(self) -> int:
        return sum(V.dofmap.index_map.size_global * V.dofmap.index_map_bs for V in (self.V, self.Vs))

    def fields(self) -> dict:
        out = super().fields()  # on the electrolyte sub-mesh
        out["host_potential_trace"] = self.phi_s_trace
        return out
