"""Mermaid diagrams of workflow definitions, drawn by ``transitions``' own mermaid engine (no graphviz)."""

from __future__ import annotations

from transitions.extensions import GraphMachine

from workflows.definitions import WorkflowDefinition


class _Drawn:
    state: str


def mermaid(definition: WorkflowDefinition, *, title: str | None = None, labels: bool = True) -> str:
    """A ``stateDiagram-v2`` of ``definition``; states and events are shown with their Chinese labels."""
    model = _Drawn()
    machine = GraphMachine(
        model=model,
        states=list(definition.state_names),
        initial=definition.initial_states[0],
        auto_transitions=False,
        graph_engine="mermaid",
        title=title or f"劳动争议调解流程 v{definition.version}",
        show_state_attributes=False,
    )
    for t in definition.transitions:
        trigger = f"{t.label}（{t.event}）" if labels else t.event
        machine.add_transition(trigger, list(t.sources), t.dest)
    text: str = model.get_graph().draw(None)  # type: ignore[attr-defined]
    if labels:
        for st in definition.states:
            text = text.replace(f'state "{st.name}" as {st.name}', f'state "{st.label}（{st.name}）" as {st.name}')
    extra = "\n".join(f"  [*] --> {s}" for s in definition.initial_states[1:])
    terminal = "\n".join(f"  {s} --> [*]" for s in definition.terminal_states())
    return text.rstrip() + "\n" + extra + "\n" + terminal + "\n"
