//! The stage graph of a workflow: which stages the initial stage reaches through actions and
//! automatic transitions, and which stages can still reach a terminal stage (so no case can get
//! stuck where nobody is able to close it).

/// What can reach what, by stage position.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Reach {
    /// True for each stage reachable from the initial stage (the initial stage included).
    pub(super) from_initial: Vec<bool>,
    /// True for each stage from which some terminal stage is reachable (terminal ones included).
    pub(super) to_terminal: Vec<bool>,
}

/// Walks the graph of `count` stages with `edges` (from, to) in both directions.
pub(super) fn reach(
    count: usize,
    initial: usize,
    terminal: &[bool],
    edges: &[(usize, usize)],
) -> Reach {
    let forward = |from: usize| edges.iter().filter(move |e| e.0 == from).map(|e| e.1);
    let backward = |to: usize| edges.iter().filter(move |e| e.1 == to).map(|e| e.0);
    let from_initial = walk(count, [initial], forward);
    let terminals = (0..count).filter(|&i| terminal.get(i).copied().unwrap_or(false));
    let to_terminal = walk(count, terminals, backward);
    Reach {
        from_initial,
        to_terminal,
    }
}

/// Every node reached from `start` by `next`, as a mask.
fn walk<I: Iterator<Item = usize>>(
    count: usize,
    start: impl IntoIterator<Item = usize>,
    next: impl Fn(usize) -> I,
) -> Vec<bool> {
    let mut seen = vec![false; count];
    let mut queue: Vec<usize> = start.into_iter().filter(|&i| i < count).collect();
    for &i in &queue {
        seen[i] = true;
    }
    while let Some(node) = queue.pop() {
        for target in next(node) {
            if target < count && !seen[target] {
                seen[target] = true;
                queue.push(target);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_forward_and_back() {
        // 0 -> 1 -> 2 (terminal); 3 -> 3 (a loop nobody enters); 1 -> 4 (dead end)
        let terminal = [false, false, true, false, false];
        let edges = [(0, 1), (1, 2), (3, 3), (1, 4)];
        let reach = reach(5, 0, &terminal, &edges);
        assert_eq!(reach.from_initial, vec![true, true, true, false, true]);
        assert_eq!(reach.to_terminal, vec![true, true, true, false, false]);
    }

    #[test]
    fn no_terminal_reaches_nothing() {
        let reach = reach(2, 0, &[false, false], &[(0, 1), (1, 0)]);
        assert_eq!(reach.from_initial, vec![true, true]);
        assert_eq!(reach.to_terminal, vec![false, false]);
    }
}
