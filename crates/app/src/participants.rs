//! A round's participants with their answers counted against the minimum
//! sample of each survey tool (the round page, the participants API).

use crate::App;
use crate::error::Error;
use itas_store::rounds::{self, Participant};

/// A participant with its responses against the minimum, per survey tool.
#[derive(Clone)]
pub struct ParticipantRow {
    pub p: Participant,
    /// (tool, responses, minimum, behind)
    pub tools: Vec<(String, i64, u32, bool)>,
}

impl ParticipantRow {
    /// Short of a minimum sample (or without a population) on any survey.
    pub fn behind(&self) -> bool {
        self.tools.iter().any(|t| t.3)
    }
}

/// Every participant of a round with its counts against the minimums.
/// The round's participant rows as kept: counts change with every answer,
/// so the table is reused for a few seconds and, past that, read again off
/// the request (a national round has thousands of rows).
pub async fn kept_participant_rows(
    app: &App,
    id: &str,
    fw: &itas_core::Framework,
) -> Result<std::sync::Arc<Vec<ParticipantRow>>, Error> {
    let generation = rounds::participants_generation();
    app.caches
        .kept_or_refreshed(
            |c| &c.participants,
            id,
            generation,
            || {
                let (app, id, fw) = (app.clone(), id.to_string(), fw.clone());
                move || async move { participant_rows(&app, &id, &fw).await }
            },
        )
        .await
}

pub async fn participant_rows(
    app: &App,
    id: &str,
    fw: &itas_core::Framework,
) -> Result<Vec<ParticipantRow>, Error> {
    let counts = itas_store::surveys::counts(&app.db, id).await?;
    Ok(rounds::participants(&app.db, id)
        .await?
        .into_iter()
        .map(|p| {
            let tools = fw
                .tools
                .iter()
                .filter_map(|t| {
                    let population = p.population(&t.code);
                    let min = fw.required_sample(
                        &t.code,
                        &p.kind,
                        &p.size,
                        u32::try_from(population).unwrap_or(0),
                    )?;
                    let n = counts
                        .get(&(p.agency_id.clone(), t.code.clone()))
                        .copied()
                        .unwrap_or(0);
                    Some((
                        t.code.clone(),
                        n,
                        min,
                        n < i64::from(min) || population == 0,
                    ))
                })
                .collect();
            ParticipantRow { p, tools }
        })
        .collect())
}
