//! Polarization roles of bands: HH, HV, VH, VV.

use serde::Serialize;

/// One of the four linear polarizations (transmit, receive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Polarization {
    HH,
    HV,
    VH,
    VV,
}

impl Polarization {
    /// The SpaceNet 6 SAR-Intensity band order.
    pub const SN6_ORDER: [Polarization; 4] = [Self::HH, Self::HV, Self::VH, Self::VV];

    pub fn name(self) -> &'static str {
        match self {
            Self::HH => "HH",
            Self::HV => "HV",
            Self::VH => "VH",
            Self::VV => "VV",
        }
    }

    /// Co-polarized (HH, VV) as opposed to cross-polarized (HV, VH).
    pub fn is_co_pol(self) -> bool {
        matches!(self, Self::HH | Self::VV)
    }

    /// Finds a polarization named as a whole token in free text: a band description
    /// ("HH", "Sigma0_VV_db"), a metadata value ("POLARIZATION=HV") or a file stem ("sar_vh").
    ///
    /// ```
    /// use sarscope::raster::Polarization;
    /// assert_eq!(Polarization::find_in("Sigma0_VV_db"), Some(Polarization::VV));
    /// assert_eq!(Polarization::find_in("sar_hv"), Some(Polarization::HV));
    /// assert_eq!(Polarization::find_in("school"), None); // "hh"/"vh" inside a word do not count
    /// ```
    pub fn find_in(text: &str) -> Option<Self> {
        let mut found = None;
        for token in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            let pol = match token.to_ascii_uppercase().as_str() {
                "HH" => Self::HH,
                "HV" => Self::HV,
                "VH" => Self::VH,
                "VV" => Self::VV,
                _ => continue,
            };
            match found {
                None => found = Some(pol),
                Some(prev) if prev == pol => {}
                Some(_) => return None, // two different names: ambiguous
            }
        }
        found
    }
}

impl std::fmt::Display for Polarization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a band's role came from, so that `info` can say how sure it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RoleSource {
    /// The band description or a POLARIZATION metadata item.
    Metadata,
    /// The file name of a single-band file.
    FileName,
    /// Nothing said, and the scene has four bands: the SpaceNet 6 order HH, HV, VH, VV.
    Sn6Order,
}

/// Assigns roles to a scene's bands from the hints of each band (description, metadata, file
/// name), falling back to the SpaceNet 6 order for a four-band scene that says nothing.
/// Returns `None` for a band whose role is unknown. Hints that contradict each other (two bands
/// claiming HH) are dropped rather than trusted.
pub(crate) fn assign_roles(
    hints: &[(Option<Polarization>, RoleSource)],
) -> Vec<Option<(Polarization, RoleSource)>> {
    let mut roles: Vec<Option<(Polarization, RoleSource)>> = hints
        .iter()
        .map(|(pol, source)| pol.map(|p| (p, *source)))
        .collect();
    let duplicated = |p: Polarization, roles: &[Option<(Polarization, RoleSource)>]| {
        roles.iter().flatten().filter(|(q, _)| *q == p).count() > 1
    };
    let snapshot = roles.clone();
    for role in &mut roles {
        if let Some((p, _)) = role
            && duplicated(*p, &snapshot)
        {
            *role = None;
        }
    }
    if roles.len() == 4 && roles.iter().all(Option::is_none) {
        return Polarization::SN6_ORDER
            .iter()
            .map(|p| Some((*p, RoleSource::Sn6Order)))
            .collect();
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_silent_bands_take_the_sn6_order() {
        let roles = assign_roles(&[(None, RoleSource::Metadata); 4]);
        let pols: Vec<_> = roles.iter().map(|r| r.map(|(p, _)| p)).collect();
        assert_eq!(pols, Polarization::SN6_ORDER.map(Some).to_vec());
    }

    #[test]
    fn stated_roles_win_and_duplicates_are_dropped() {
        let roles = assign_roles(&[
            (Some(Polarization::VV), RoleSource::Metadata),
            (Some(Polarization::VH), RoleSource::Metadata),
        ]);
        assert_eq!(roles[0], Some((Polarization::VV, RoleSource::Metadata)));
        let dup = assign_roles(&[
            (Some(Polarization::HH), RoleSource::FileName),
            (Some(Polarization::HH), RoleSource::FileName),
            (Some(Polarization::VV), RoleSource::FileName),
        ]);
        assert_eq!(dup[0], None);
        assert_eq!(dup[2], Some((Polarization::VV, RoleSource::FileName)));
    }

    #[test]
    fn three_silent_bands_stay_unknown() {
        assert!(
            assign_roles(&[(None, RoleSource::Metadata); 3])
                .iter()
                .all(Option::is_none)
        );
    }
}
