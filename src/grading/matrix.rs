//! The risk matrix: derived from bands on R = L x S, or written out and checked to be monotone;
//! and raising a level by steps, capped at red.

use crate::model::{GRADES, Level};

/// `matrix[l - 1][s - 1]`: the level for likelihood `l` and consequence `s` (both 1..=5).
pub type Matrix = [[Option<Level>; GRADES]; GRADES];

/// Likelihood implied by a blue, yellow, orange and red alarm (indexed by [`Level::index`]).
pub const DEFAULT_LIKELIHOOD: [u8; 4] = [2, 3, 4, 5];

/// Lowest R = L x S of blue, yellow, orange and red (DOMAINS.md §2.4 item 1: 1-8 low, 9-12
/// general, 15-16 major, 20-25 grave).
pub const DEFAULT_BANDS: [Option<u8>; 4] = [Some(1), Some(9), Some(15), Some(20)];

/// The largest R = L x S, so the largest useful band.
pub const MAX_BAND: u8 = 25;

/// The matrix of [`DEFAULT_BANDS`].
pub fn default_matrix() -> Matrix {
    matrix_from_bands(DEFAULT_BANDS)
}

/// The matrix whose cell (L, S) is the highest level whose band (lowest R, indexed by
/// [`Level::index`]) R = L x S reaches; `None` where no band is reached. Monotone whatever the
/// bands, since R rises with L and S.
pub fn matrix_from_bands(bands: [Option<u8>; 4]) -> Matrix {
    let mut matrix: Matrix = [[None; GRADES]; GRADES];
    for (l, row) in (1u8..).zip(matrix.iter_mut()) {
        for (s, cell) in (1u8..).zip(row.iter_mut()) {
            let risk = l * s;
            *cell = Level::ALL
                .into_iter()
                .rev()
                .find(|level| bands[level.index()].is_some_and(|band| risk >= band));
        }
    }
    matrix
}

/// A cell of a written matrix that is lower than its neighbour above (one likelihood less) or
/// to its left (one consequence less).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixDrop {
    /// Row of the cell (0-based: likelihood - 1).
    pub row: usize,
    /// Column of the cell (0-based: consequence - 1).
    pub column: usize,
    /// The cell's level.
    pub level: Option<Level>,
    /// Row of the higher neighbour.
    pub neighbour_row: usize,
    /// Column of the higher neighbour.
    pub neighbour_column: usize,
    /// The neighbour's level, higher than the cell's.
    pub neighbour_level: Option<Level>,
}

/// Every cell lower than the cell above it or to its left, in row order; one entry per cell
/// (against the higher of the two neighbours). Empty when the matrix is monotone.
pub fn matrix_drops(matrix: &Matrix) -> Vec<MatrixDrop> {
    let mut drops = Vec::new();
    for (row, cells) in matrix.iter().enumerate() {
        for (column, &level) in cells.iter().enumerate() {
            let above = row.checked_sub(1).map(|r| (r, column));
            let left = column.checked_sub(1).map(|c| (row, c));
            let higher = [above, left]
                .into_iter()
                .flatten()
                .map(|(r, c)| (r, c, matrix[r][c]))
                .filter(|&(_, _, neighbour)| neighbour > level)
                .max_by_key(|&(_, _, neighbour)| neighbour);
            if let Some((neighbour_row, neighbour_column, neighbour_level)) = higher {
                drops.push(MatrixDrop {
                    row,
                    column,
                    level,
                    neighbour_row,
                    neighbour_column,
                    neighbour_level,
                });
            }
        }
    }
    drops
}

/// `level` raised by `steps` levels, capped at red; `None` stays `None`.
pub fn raise(level: Option<Level>, steps: u8) -> Option<Level> {
    level.map(|level| {
        let index = (level.index() + usize::from(steps)).min(Level::Red.index());
        Level::from_index(index).unwrap_or(Level::Red)
    })
}
