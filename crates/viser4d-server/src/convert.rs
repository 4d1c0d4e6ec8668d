//! Conversions from math-library types to the plain arrays the API takes:
//! `[f64; 3]` / `[f32; 3]` for points and `[w, x, y, z]` for rotations.
//!
//! The impls for `glam` and `nalgebra` types are behind the features of
//! those names. Mind the quaternion order: glam stores `x, y, z, w` and
//! nalgebra's `coords` are `[i, j, k, w]`, while viser (and this API) want
//! `w` first; [`ToWxyz`] does the reordering.
//!
//! ```
//! use viser4d_server::scene::{ToWxyz, ToXyz};
//!
//! // Plain arrays convert too, so generic code can take `impl ToXyz`.
//! assert_eq!([1.0f32, 2.0, 3.0].to_xyz(), [1.0, 2.0, 3.0]);
//! assert_eq!([1.0f64, 0.0, 0.0, 0.0].to_wxyz_f32(), [1.0, 0.0, 0.0, 0.0]);
//! ```

/// A point or vector, as `[x, y, z]`.
pub trait ToXyz {
    /// As `f64` (node positions).
    fn to_xyz(&self) -> [f64; 3];

    /// As `f32` (point, vertex and instance arrays).
    fn to_xyz_f32(&self) -> [f32; 3] {
        self.to_xyz().map(|c| c as f32)
    }
}

/// A rotation, as a quaternion `[w, x, y, z]`.
pub trait ToWxyz {
    /// As `f64` (node orientations).
    fn to_wxyz(&self) -> [f64; 4];

    /// As `f32` (instance arrays).
    fn to_wxyz_f32(&self) -> [f32; 4] {
        self.to_wxyz().map(|c| c as f32)
    }
}

/// Converts a slice of points to the `[f32; 3]` arrays the `add_*`
/// methods take (one copy; the layouts of the math types are theirs).
pub fn xyz_f32_vec<T: ToXyz>(points: &[T]) -> Vec<[f32; 3]> {
    points.iter().map(ToXyz::to_xyz_f32).collect()
}

/// Converts a slice of rotations to `[f32; 4]` `[w, x, y, z]` arrays, as
/// [`crate::scene::Instances`] takes them.
pub fn wxyz_f32_vec<T: ToWxyz>(rotations: &[T]) -> Vec<[f32; 4]> {
    rotations.iter().map(ToWxyz::to_wxyz_f32).collect()
}

impl ToXyz for [f64; 3] {
    fn to_xyz(&self) -> [f64; 3] {
        *self
    }
}

impl ToXyz for [f32; 3] {
    fn to_xyz(&self) -> [f64; 3] {
        self.map(f64::from)
    }

    fn to_xyz_f32(&self) -> [f32; 3] {
        *self
    }
}

impl ToWxyz for [f64; 4] {
    fn to_wxyz(&self) -> [f64; 4] {
        *self
    }
}

impl ToWxyz for [f32; 4] {
    fn to_wxyz(&self) -> [f64; 4] {
        self.map(f64::from)
    }

    fn to_wxyz_f32(&self) -> [f32; 4] {
        *self
    }
}

#[cfg(feature = "glam")]
mod glam_impls {
    use super::{ToWxyz, ToXyz};

    impl ToXyz for glam::Vec3 {
        fn to_xyz(&self) -> [f64; 3] {
            self.to_array().map(f64::from)
        }

        fn to_xyz_f32(&self) -> [f32; 3] {
            self.to_array()
        }
    }

    impl ToXyz for glam::Vec3A {
        fn to_xyz(&self) -> [f64; 3] {
            self.to_array().map(f64::from)
        }

        fn to_xyz_f32(&self) -> [f32; 3] {
            self.to_array()
        }
    }

    impl ToXyz for glam::DVec3 {
        fn to_xyz(&self) -> [f64; 3] {
            self.to_array()
        }
    }

    impl ToWxyz for glam::Quat {
        fn to_wxyz(&self) -> [f64; 4] {
            self.to_wxyz_f32().map(f64::from)
        }

        fn to_wxyz_f32(&self) -> [f32; 4] {
            // glam's storage order is x, y, z, w.
            [self.w, self.x, self.y, self.z]
        }
    }

    impl ToWxyz for glam::DQuat {
        fn to_wxyz(&self) -> [f64; 4] {
            [self.w, self.x, self.y, self.z]
        }
    }
}

#[cfg(feature = "nalgebra")]
mod nalgebra_impls {
    use nalgebra::{Point3, Quaternion, UnitQuaternion, Vector3};

    use super::{ToWxyz, ToXyz};

    // One set of impls per scalar type; `f64::from` widens `f32` exactly.
    macro_rules! nalgebra_impls {
        ($($t:ty),*) => {$(
            impl ToXyz for Point3<$t> {
                fn to_xyz(&self) -> [f64; 3] {
                    [self.x, self.y, self.z].map(f64::from)
                }
            }

            impl ToXyz for Vector3<$t> {
                fn to_xyz(&self) -> [f64; 3] {
                    [self.x, self.y, self.z].map(f64::from)
                }
            }

            impl ToWxyz for Quaternion<$t> {
                fn to_wxyz(&self) -> [f64; 4] {
                    // `coords` is stored [i, j, k, w]; name each part.
                    [self.w, self.i, self.j, self.k].map(f64::from)
                }
            }

            impl ToWxyz for UnitQuaternion<$t> {
                fn to_wxyz(&self) -> [f64; 4] {
                    self.quaternion().to_wxyz()
                }
            }
        )*};
    }

    nalgebra_impls!(f32, f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_pass_through() {
        assert_eq!([1.0f32, 2.0, 3.0].to_xyz(), [1.0, 2.0, 3.0]);
        assert_eq!([0.5f64, 0.5, 0.5, 0.5].to_wxyz(), [0.5; 4]);
        assert_eq!(xyz_f32_vec(&[[1.0f64, 2.0, 3.0]]), [[1.0f32, 2.0, 3.0]]);
        assert_eq!(
            wxyz_f32_vec(&[[1.0f64, 0.0, 0.0, 0.0]]),
            [[1.0f32, 0.0, 0.0, 0.0]]
        );
    }

    #[cfg(feature = "glam")]
    #[test]
    fn glam_quaternions_become_w_first() {
        // A quarter turn about z: w = cos(pi/4), z = sin(pi/4).
        let q = glam::Quat::from_rotation_z(std::f32::consts::FRAC_PI_2);
        let [w, x, y, z] = q.to_wxyz_f32();
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!((w - h).abs() < 1e-6 && x == 0.0 && y == 0.0 && (z - h).abs() < 1e-6);
        // Distinct components pin the order exactly.
        let q = glam::Quat::from_xyzw(1.0, 2.0, 3.0, 4.0);
        assert_eq!(q.to_wxyz_f32(), [4.0, 1.0, 2.0, 3.0]);
        assert_eq!(q.to_wxyz(), [4.0, 1.0, 2.0, 3.0]);
        let d = glam::DQuat::from_xyzw(1.0, 2.0, 3.0, 4.0);
        assert_eq!(d.to_wxyz(), [4.0, 1.0, 2.0, 3.0]);
        assert_eq!(glam::Vec3::new(1.0, 2.0, 3.0).to_xyz(), [1.0, 2.0, 3.0]);
        assert_eq!(
            glam::DVec3::new(1.0, 2.0, 3.0).to_xyz_f32(),
            [1.0, 2.0, 3.0]
        );
    }

    #[cfg(feature = "nalgebra")]
    #[test]
    fn nalgebra_quaternions_become_w_first() {
        // Quaternion::new takes w first; coords are stored [i, j, k, w].
        let q = nalgebra::Quaternion::new(4.0f64, 1.0, 2.0, 3.0);
        assert_eq!(q.to_wxyz(), [4.0, 1.0, 2.0, 3.0]);
        let axis = nalgebra::Vector3::z_axis();
        let u = nalgebra::UnitQuaternion::from_axis_angle(&axis, std::f64::consts::FRAC_PI_2);
        let [w, x, y, z] = u.to_wxyz();
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((w - h).abs() < 1e-12 && x == 0.0 && y == 0.0 && (z - h).abs() < 1e-12);
        let uf = nalgebra::UnitQuaternion::<f32>::identity();
        assert_eq!(uf.to_wxyz_f32(), [1.0, 0.0, 0.0, 0.0]);
        assert_eq!(
            nalgebra::Point3::new(1.0f32, 2.0, 3.0).to_xyz(),
            [1.0, 2.0, 3.0]
        );
    }
}
